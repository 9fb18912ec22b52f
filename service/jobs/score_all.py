"""``clearfile score --all``: every subject scored with the vectorised engine, in chunks.

``score_all`` reads the files of a chunk of subjects with three Core selects (accounts,
inquiries, bankruptcies: plain tuples, no ORM object, no per-subject query), keeps what is on
the file by the file domain's rule (``service.file.rules``), and hands the chunk to the scoring
service, which scores every subject of it at once and bulk-inserts one receipt per subject
(``scoring.service.store_receipts_in_bulk``). Each chunk runs in its own transaction; chunks
are independent, so on PostgreSQL a few run at once (``PG_WORKERS``), each in a thread with its
own connection; on SQLite one after another.

The cyclic garbage collector is paused while the chunks are processed: a chunk allocates many
short-lived tuples, lists and strings, none in a reference cycle.

The job writes one audit event, ``score.batch``, on the *system* chain (it concerns every
subject, so it belongs to no subject's chain), through the audit service after the last chunk:
the model, the day and the counts. Each receipt names its purpose (``batch_scoring``) and who
asked (the admin).
"""

from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import Any, Final

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from service.audit import service as audit
from service.core.collector import collector_paused
from service.core.security import ADMIN, Principal
from service.file import service as file_service
from service.file.rules import (
    DELETED_STATUS,
    INQUIRY_SHOWN_MONTHS,
    account_on_file,
    add_months,
    earliest_possible_obsolete_cutoff,
    inquiry_on_file,
    public_record_on_file,
)
from service.scoring import service as scoring
from service.scoring.bulk import Chunk, json_array
from service.scoring.engine.columns import PACKED_STATUS, FileColumns, Owners
from service.scoring.engine.explain import check_scores_files
from service.scoring.engine.scorecard import Scorecard

#: Subjects per chunk (per transaction and per set of three reads).
DEFAULT_CHUNK: Final = 5000
#: Chunks scored at once on PostgreSQL, each in a thread with its own connection: while the
#: server takes one chunk's receipts (a COPY: parsing their JSON, writing their WAL) or
#: reads its files, Python scores another; a chunk's Python work holds the GIL, its waits
#: on the server do not (issue 15: the job's wall time was three times its CPU time). Three:
#: the server's share of the work is now the larger (at 1,000,000 subjects its backends'
#: CPU 26-28 s, the job's Python 21-23 s), and with three chunks in flight one is more often
#: in Python while the others wait on the server; on the 2-core machine of the figures
#: (README), alternating 1,000,000-subject runs under outside load took 91-103 s where two
#: took 103-150 s, the CPU the same. A fourth chunk waits its turn, its ids read.
PG_WORKERS = 3
#: Why batch receipts were computed, and who asked.
BATCH_PURPOSE: Final = "batch_scoring"
BATCH_ACTOR: Final[Principal] = ADMIN
#: Inquiries this close to the 24-month boundary are checked with the rule itself.
_INQUIRY_MARGIN: Final = timedelta(days=31)


def _by_owner(rows: list[Any], owner: Owners) -> tuple[list[Any], Owners]:
    """Rows grouped by subject in chunk order (the reads set no order, and the database's
    collation may differ from Python's)."""
    if len(owner) < 2 or bool((owner[1:] >= owner[:-1]).all()):
        return rows, owner
    order = np.argsort(owner, kind="stable")
    return [rows[i] for i in order.tolist()], owner[order]


def _column(rows: Sequence[Sequence[Any]], index: int) -> list[Any]:
    return list(map(itemgetter(index), rows))


def _keep_on_file(rows: list[Any], suspects: list[int], on_file: Callable[[Any], bool]) -> None:
    """Remove, in place, the rows that are not ``on_file``, asking only of the ``suspects``
    (the indexes, in order, of the rows a cheap test finds could be off the file)."""
    for i in reversed(suspects):
        if not on_file(rows[i]):
            del rows[i]


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def read_chunk(session: Session, subject_ids: Sequence[str], today: date) -> Chunk:
    """The current files of ``subject_ids`` (consecutive in id order): three scoring."""
    first, last = subject_ids[0], subject_ids[-1]
    index = {s: i for i, s in enumerate(subject_ids)}

    def owners(rows: Sequence[Sequence[Any]]) -> Owners:
        subjects = map(itemgetter(0), rows)
        return np.fromiter(map(index.__getitem__, subjects), dtype=np.intp, count=len(rows))

    # What is on the file is decided by the file rule; only an account deleted by its
    # furnisher, or one whose first delinquency is before the earliest possible cutoff,
    # can be off it.
    cutoff = earliest_possible_obsolete_cutoff(today).isoformat()
    accounts = scoring.account_rows_between(session, first, last)
    _keep_on_file(
        accounts,
        [
            i
            for i, (packed, delinquent_since) in enumerate(
                zip(_column(accounts, 2), _column(accounts, 6), strict=True)
            )
            if (delinquent_since is not None and delinquent_since <= cutoff)
            or packed.startswith(DELETED_STATUS)
        ],
        on_file=lambda r: account_on_file(
            status=r[2][PACKED_STATUS],
            account_type=r[3],
            date_of_first_delinquency=_day(r[6]),
            today=today,
        ),
    )
    accounts, account_owner = _by_owner(accounts, owners(accounts))

    # Inquiries are shown for 24 months: the query keeps a little more, and those near the
    # boundary are checked with the rule itself.
    shown_since = add_months(today, -INQUIRY_SHOWN_MONTHS)
    since = shown_since - _INQUIRY_MARGIN
    sure = (shown_since + _INQUIRY_MARGIN).isoformat()
    inquiries = scoring.inquiry_rows_between(session, first, last, since=since)
    _keep_on_file(
        inquiries,
        [i for i, day in enumerate(_column(inquiries, 1)) if day <= sure],
        on_file=lambda r: inquiry_on_file(
            at=datetime.fromisoformat(r[1]).replace(tzinfo=UTC), today=today
        ),
    )
    inquiries, inquiry_owner = _by_owner(inquiries, owners(inquiries))

    today_text = today.isoformat()
    records = scoring.public_record_rows_between(session, first, last)
    _keep_on_file(
        records,
        [i for i, filed in enumerate(_column(records, 3)) if filed <= today_text],
        on_file=lambda r: public_record_on_file(
            chapter=r[1], status=r[2], filed_on=date.fromisoformat(r[3]), today=today
        ),
    )
    records, record_owner = _by_owner(records, owners(records))

    files = FileColumns(
        n=len(subject_ids),
        account_owner=account_owner,
        packed=_column(accounts, 2),
        account_type=_column(accounts, 3),
        credit_limit_cents=_column(accounts, 4),
        balance_cents=_column(accounts, 5),
        closed=[c is not None for c in _column(accounts, 7)],
        inquiry_owner=inquiry_owner,
        inquiry_at=_column(inquiries, 1),
        inquiry_kind=_column(inquiries, 2),
        record_owner=record_owner,
    )
    return Chunk(
        files=files,
        account_inputs=_column(accounts, 1),
        record_inputs=[json_array(r[1:]) for r in records],
    )


@dataclass(frozen=True)
class BatchResult:
    model_version: str
    scored_on: date
    subjects: int
    scored: int
    no_score: int
    chunks: int


Progress = Callable[[int, int], None]


def _score_chunk(
    session_factory: sessionmaker[Session],
    ids: list[str],
    *,
    today: date,
    now: datetime,
    model: Scorecard,
) -> int:
    """Read, score and store the receipts of one chunk, in its own transaction; how many
    were scored."""
    with session_factory() as session, session.begin():
        # Items a dispute took off the file are left out: the chunk's files are then read
        # with the file domain's rules item by item (rare: a chunk with a suppression).
        if file_service.any_suppressed_between(session, first=ids[0], last=ids[-1]):
            files = scoring.current_files(session, subject_ids=ids, today=today)
        else:
            files = read_chunk(session, ids, today)
        return scoring.store_receipts_in_bulk(
            session,
            subject_ids=ids,
            chunk=files,
            model=model,
            now=now,
            purpose=BATCH_PURPOSE,
            requested_by=BATCH_ACTOR.id,
        )


def _default_workers(session_factory: sessionmaker[Session]) -> int:
    """``PG_WORKERS`` on a PostgreSQL engine; one on SQLite (one writer at a time) or when
    the sessions share one connection (a test's)."""
    bind = session_factory.kw.get("bind")
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        return PG_WORKERS
    return 1


def score_all(
    session_factory: sessionmaker[Session],
    *,
    now: datetime,
    model: Scorecard,
    chunk: int = DEFAULT_CHUNK,
    progress: Progress | None = None,
    workers: int | None = None,
) -> BatchResult:
    """Score every subject with ``model`` as of ``now`` and store a receipt for each.

    Each chunk of ``chunk`` subjects is read, scored and written in its own transaction,
    up to ``workers`` chunks at once (default: ``_default_workers``), each in a thread with
    its own session; ``progress(done, total)`` is called after each, in order. The
    ``score.batch`` event is appended to the system audit chain at the end.
    """
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    workers = _default_workers(session_factory) if workers is None else workers
    if workers < 1:
        raise ValueError("workers must be at least 1")
    check_scores_files(model)
    today = now.date()
    with session_factory() as session, session.begin():
        total = scoring.count_subjects(session)
    done = scored = chunks = 0
    after: str | None = None
    pending: deque[tuple[int, Future[int]]] = deque()

    def finish_oldest() -> None:
        nonlocal done, scored, chunks
        size, future = pending.popleft()
        scored += future.result()
        done += size
        chunks += 1
        if progress is not None:
            progress(done, max(total, done))

    with collector_paused(), ThreadPoolExecutor(workers) as pool:
        try:
            while True:
                with session_factory() as session, session.begin():
                    ids = scoring.subject_ids_after(session, after, chunk)
                if not ids:
                    break
                after = ids[-1]
                job = pool.submit(
                    _score_chunk, session_factory, ids, today=today, now=now, model=model
                )
                pending.append((len(ids), job))
                while len(pending) >= workers + (workers > 1):
                    finish_oldest()
            while pending:
                finish_oldest()
        finally:
            for _, future in pending:
                future.cancel()
    outcome = BatchResult(
        model_version=model.version,
        scored_on=today,
        subjects=done,
        scored=scored,
        no_score=done - scored,
        chunks=chunks,
    )
    with session_factory() as session, session.begin():
        audit.record(
            session,
            actor=BATCH_ACTOR,
            action="score.batch",
            now=now,
            purpose=BATCH_PURPOSE,
            resource_type="score_batch",
            resource_id=(
                f"model={model.version};on={today.isoformat()};"
                f"subjects={outcome.subjects};scored={outcome.scored}"
            ),
        )
    return outcome
