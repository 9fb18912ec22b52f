"""Notices sent together (``notices.send_bulk``, a deadline run's) are stored as ``send``
stores each: the same content (theirs encoded by the model itself), listed and read the same
by their subject, each audited and told once."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.notices import NoticeKind
from service.audit import service as audit
from service.audit.models import AuditEvent
from service.events.models import Event
from service.file.service import RULE_ACTOR
from service.notices import service as notices
from service.notices.models import Notice
from tests.conftest import Actor

NOW = datetime(2026, 12, 17, 12, 0, tzinfo=UTC)


def _content(k: int) -> dict[str, Any]:
    return {
        "title": f"Your dispute {k}: the item was not verified in time and is removed",
        "summary": "Le prêteur n'a pas répondu — « supprimé » ✓; a tab\there, a quote \" too.",
        "dispute_id": f"dsp_{k}",
        "item_type": "account",
        "item_id": f"acc_{k}",
        "dispute_outcome": "unverified",
        "score": 640 + k,
        "score_range": {"min": 300, "max": 850},
        "model_version": "cf-score-test",
        "receipt_id": f"rcp_{k}",
        "scored_on": date(2026, 12, 17),
    }


def test_notices_sent_together_are_stored_and_read_as_one_sent_alone(
    client: TestClient, session: Session, make_subject: Callable[..., Actor]
) -> None:
    subject = make_subject()
    alone = notices.send(
        session,
        actor=RULE_ACTOR,
        subject_id=subject.id,
        kind=NoticeKind.dispute_result,
        content=_content(0),
        purpose="dispute",
        now=NOW,
    )
    audited: list[audit.NewEvent] = []
    ids = notices.send_bulk(
        session,
        actor=RULE_ACTOR,
        notices=[
            notices.NewNotice(subject.id, NoticeKind.dispute_result, _content(0)),
            notices.NewNotice(subject.id, NoticeKind.identity_theft_block, _content(1)),
        ],
        purpose="dispute",
        now=NOW,
        audited=audited,
    )
    audit.record_bulk(session, events=audited, now=NOW)
    session.flush()
    session.expire_all()
    stored = {n.id: n for n in session.scalars(select(Notice).where(Notice.at == NOW))}
    assert set(stored) == {alone.id, *ids}
    assert stored[ids[0]].content == stored[alone.id].content
    assert stored[ids[1]].content == {
        **stored[alone.id].content,
        **{k: v for k, v in _content(1).items() if k not in {"score_range", "scored_on"}},
        "scored_on": "2026-12-17",
    }
    assert stored[ids[0]].content["summary"] == _content(0)["summary"]
    assert stored[ids[1]].kind == "identity_theft_block"

    listed = client.get("/v1/me/notices", headers=subject.headers).json()["items"]
    by_id = {n["id"]: n for n in listed}
    for notice_id in (alone.id, *ids):
        one = client.get(f"/v1/me/notices/{notice_id}", headers=subject.headers).json()
        assert one == by_id[notice_id]
    same = {k: v for k, v in by_id[ids[0]].items() if k != "id"}
    assert same == {k: v for k, v in by_id[alone.id].items() if k != "id"}

    sent = session.scalars(
        select(AuditEvent.resource_id).where(AuditEvent.action == "notice.sent")
    ).all()
    assert sorted(sent) == sorted([alone.id, *ids])
    told = session.scalars(
        select(Event).where(Event.type == "notice.created", Event.recipient_id == subject.id)
    ).all()
    assert sorted(e.data["notice_id"] for e in told) == sorted([alone.id, *ids])
    assert audit.verify(session).valid
