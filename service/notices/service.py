"""Notices to the subject: sent once, in the transaction of what they tell, and kept as
sent; the subject lists and reads them."""

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy.orm import Session

from schemas.common import Page
from schemas.notices import NoticeKind, NoticeRead
from service.audit import purposes
from service.audit import service as audit
from service.core.errors import NotFound
from service.core.pagination import decode_keyset, keyset_of, split_page
from service.core.security import Principal, SequentialIds, new_id
from service.events import service as events
from service.notices import queries
from service.notices.models import Notice

#: The fields of a notice kept in its row's columns; the rest are its ``content``.
_COLUMNS = {"id", "kind", "at", "subject_id"}


def _read(notice: Notice) -> NoticeRead:
    return NoticeRead.model_validate(
        {
            **notice.content,
            "id": notice.id,
            "kind": notice.kind,
            "at": notice.at,
            "subject_id": notice.subject_id,
        }
    )


def send(
    session: Session,
    *,
    actor: Principal,
    subject_id: str,
    kind: NoticeKind,
    content: dict[str, object],
    purpose: str,
    now: datetime,
) -> NoticeRead:
    """Send the subject a notice of ``kind`` saying ``content`` (``NoticeRead``'s other
    fields), audited as sent by ``actor``."""
    notice_id = new_id("ntc")
    read = NoticeRead.model_validate(
        {**content, "id": notice_id, "kind": kind, "at": now, "subject_id": subject_id}
    )
    queries.add(
        session,
        Notice(
            id=notice_id,
            subject_id=subject_id,
            kind=kind.value,
            at=now,
            content=read.model_dump(mode="json", exclude=_COLUMNS),
        ),
    )
    audit.record(
        session,
        actor=actor,
        action="notice.sent",
        now=now,
        subject_id=subject_id,
        purpose=purpose,
        resource_type="notice",
        resource_id=notice_id,
    )
    events.notice_created(
        session, notice_id=notice_id, subject_id=subject_id, kind=kind.value, now=now
    )
    return read


class NewNotice(NamedTuple):
    """A notice for ``send_bulk``: whom it is to, its kind and what it says."""

    subject_id: str
    kind: NoticeKind
    content: dict[str, object]


def send_bulk(
    session: Session,
    *,
    actor: Principal,
    notices: Sequence[NewNotice],
    purpose: str,
    now: datetime,
    audited: list[audit.NewEvent],
) -> list[str]:
    """``send`` for many notices at once (a deadline run): each validated as ``send``
    validates it and stored with the content ``send`` stores, encoded by the model itself
    (``model_dump_json``: the JSON of ``model_dump(mode="json")``), the rows inserted in one
    statement; the notices' ids, in order. Each notice's audit event (``notice.sent``) is
    added to ``audited`` in order, for the caller to append with the rest of its batch's
    (``audit.record_bulk``, once)."""
    ids = SequentialIds("ntc")
    rows: list[tuple[str, str, str, str]] = []
    for notice in notices:
        notice_id = ids.next()
        read = NoticeRead.model_validate(
            {
                **notice.content,
                "id": notice_id,
                "kind": notice.kind,
                "at": now,
                "subject_id": notice.subject_id,
            }
        )
        content = read.model_dump_json(exclude=_COLUMNS)
        rows.append((notice_id, notice.subject_id, notice.kind.value, content))
    queries.insert_bulk(session, rows, at=now)
    audited += [
        audit.NewEvent(
            actor=actor,
            action="notice.sent",
            subject_id=subject_id,
            purpose=purpose,
            resource_type="notice",
            resource_id=notice_id,
        )
        for notice_id, subject_id, _, _ in rows
    ]
    events.notices_created(
        session, [(notice_id, subject_id, kind) for notice_id, subject_id, kind, _ in rows], now=now
    )
    return [row[0] for row in rows]


def list_notices(
    session: Session, *, subject: Principal, now: datetime, cursor: str | None, limit: int
) -> Page[NoticeRead]:
    rows = queries.notices_of_subject(
        session, subject.id, before=decode_keyset(cursor), limit=limit + 1
    )
    page, next_cursor = split_page(rows, limit, lambda n: keyset_of(n.at, n.id))
    _record_read(session, subject, now, "notices.read", subject.id)
    return Page[NoticeRead](items=[_read(n) for n in page], next_cursor=next_cursor)


def get_notice(
    session: Session, *, subject: Principal, notice_id: str, now: datetime
) -> NoticeRead:
    notice = queries.notice_of_subject(session, subject.id, notice_id)
    if notice is None:
        raise NotFound(detail="No such notice.")
    _record_read(session, subject, now, "notice.read", notice.id)
    return _read(notice)


def _record_read(
    session: Session, subject: Principal, now: datetime, action: str, resource_id: str
) -> None:
    audit.record(
        session,
        actor=subject,
        action=action,
        now=now,
        subject_id=subject.id,
        purpose=purposes.SELF_ACCESS,
        resource_type="notice",
        resource_id=resource_id,
    )
