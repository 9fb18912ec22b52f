"""The deadline run at scale: disputes resolved per second when the clock moves past them.

Creates a temporary SQLite database, applies the migrations, generates and loads a seeded
population (``service.jobs.load_population``), and files disputes through the disputes service
(``disputes.service.file_dispute``, one by one, as subjects would: the item must be on the
file, it is flagged as disputed, its furnisher sees it); one in ``--theft-every`` is an
identity-theft dispute, and one in ``--inquiry-every`` contests an inquiry rather than an
account. None of that is counted. Then one call of ``sandbox.service.move_clock`` moves the
clock ``--days`` days, in one transaction as ``POST /v1/sandbox/clock`` runs it: every dispute
falls due and is resolved (blocked or unverified), with its suppression, audit events, a new
score receipt for each subject and a result notice each; then the obsolescence purge. Prints
the call's time and disputes resolved per second, and the process's minor page faults during
the call (memory touched for the first time: the first call of a process takes the most);
then checks what was written, and that the audit log verifies; last, how much of the call
SQLite's own statements took (of them, those run behind the Python work, in the helper thread
of ``service.core.write_behind``), and so the rate this machine could reach if Clearfile's
Python took no time at all (the statements run one at a time on the run's one connection).

The call is timed ``--calls`` times, each from the same state (a copy of the database as it
was before the first), each between two reference runs: a fixed SQLite workload of about as
many rows as the call writes (``_reference_seconds``). This machine's speed changes from one
minute to the next (by up to twice, within an hour); the call's time as a multiple of the
reference changes much less, and says on which minutes the target holds.

    python -m bench.bench_disputes [--n N] [--disputes D] [--days 31] [--seed S] [--calls 3]
                                   [--profile] [--save FILE | --start-from FILE]

``--save`` keeps a copy of the database as it is just before the clock moves; ``--start-from``
runs the clock move on a copy of such a file (no load, no filing; the copy is migrated to the
latest schema first), to time it again quickly.
"""

import argparse
import cProfile
import gc
import pstats
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # allow `python bench/bench_disputes.py` as well as `-m`
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, event, func, select  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from schemas.common import Role  # noqa: E402
from schemas.disputes import DisputeCreate  # noqa: E402
from service.audit import service as audit  # noqa: E402
from service.audit.models import AuditEvent  # noqa: E402
from service.core import clock  # noqa: E402
from service.core.db import make_engine, make_sessionmaker  # noqa: E402
from service.core.errors import DomainError  # noqa: E402
from service.core.migrate import upgrade  # noqa: E402
from service.core.security import ADMIN, Principal  # noqa: E402
from service.disputes import service as disputes  # noqa: E402
from service.disputes.models import Dispute  # noqa: E402
from service.file import service as file_service  # noqa: E402
from service.file.models import Inquiry, ItemFlag  # noqa: E402
from service.furnishing.models import Account  # noqa: E402
from service.jobs.load_population import load_population  # noqa: E402
from service.modelling import population  # noqa: E402
from service.notices.models import Notice  # noqa: E402
from service.principals.models import Subject  # noqa: E402
from service.sandbox import service as sandbox  # noqa: E402
from service.scoring.models import ScoreReceipt  # noqa: E402

#: Issue 10, item 7: at least 5,000 disputes resolved per second on SQLite, everything written.
TARGET_DISPUTES_PER_SECOND = 5_000
#: The reference run (``_reference_seconds``): rows inserted, and runs of which the best
#: counts. About as many rows as the call writes (~150,000).
REFERENCE_ROWS = 150_000
REFERENCE_RUNS = 3
#: Disputes filed per committed transaction while setting up (not counted).
FILING_BATCH = 1_000


def _targets(session: Session, count: int, inquiry_every: int) -> list[tuple[str, str, str]]:
    """(subject id, item type, item id) of ``count`` items to dispute, one per subject,
    spread over the population: a subject's newest account, or (one in ``inquiry_every``)
    its newest inquiry."""
    subjects = list(session.scalars(select(Subject.id).order_by(Subject.id)))
    step = max(1, len(subjects) // count)
    newest_account = dict(
        session.execute(
            select(Account.subject_id, func.max(Account.id)).group_by(Account.subject_id)
        ).all()
    )
    newest_inquiry = dict(
        session.execute(
            select(Inquiry.subject_id, func.max(Inquiry.id)).group_by(Inquiry.subject_id)
        ).all()
    )
    chosen: list[tuple[str, str, str]] = []
    for k, subject_id in enumerate(subjects[::step]):
        if k % inquiry_every == inquiry_every - 1 and subject_id in newest_inquiry:
            chosen.append((subject_id, "inquiry", newest_inquiry[subject_id]))
        elif subject_id in newest_account:
            chosen.append((subject_id, "account", newest_account[subject_id]))
    for subject_id in subjects:  # top up from the rest when some had nothing to dispute
        if len(chosen) >= count:
            break
        if subject_id in newest_account and all(c[0] != subject_id for c in chosen[-step:]):
            chosen.append((subject_id, "account", newest_account[subject_id]))
    return chosen[:count]


def _file_disputes(
    factory: sessionmaker[Session], targets: list[tuple[str, str, str]], theft_every: int
) -> int:
    filed = 0
    for start in range(0, len(targets), FILING_BATCH):
        with factory() as session, session.begin():
            now = clock.now(session)
            for k, (subject_id, item_type, item_id) in enumerate(
                targets[start : start + FILING_BATCH], start=start
            ):
                theft = item_type == "account" and k % theft_every == theft_every - 1
                body = DisputeCreate.model_validate(
                    {
                        "item_type": item_type,
                        "item_id": item_id,
                        "reason_code": "identity_theft" if theft else "not_mine",
                        "description": "I never opened this; someone used my identity."
                        if theft
                        else "This is not mine.",
                    }
                )
                subject = Principal(id=subject_id, role=Role.subject, name="Pop Person")
                try:
                    disputes.file_dispute(session, subject=subject, body=body, now=now)
                except DomainError:
                    continue  # not on the file (obsolete, deleted): skip it
                filed += 1
    return filed


class _Timed:
    """Wraps a module's function to add up the wall time of its calls (the parts of the call)."""

    def __init__(self, module: object, name: str) -> None:
        self.seconds = 0.0
        self.result: object = None
        function = getattr(module, name)

        def timed(*args: object, **kwargs: object) -> object:
            start = time.perf_counter()
            try:
                self.result = function(*args, **kwargs)
                return self.result
            finally:
                self.seconds += time.perf_counter() - start

        setattr(module, name, timed)

    def reset(self) -> None:
        self.seconds, self.result = 0.0, None


class _StatementTimes:
    """The wall time of each statement the engine runs, added up by its text; each thread's
    apart (the writes behind a deadline run run in a helper thread: ``write_behind``)."""

    def __init__(self, engine: Engine) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._started = threading.local()
        # (when, how long, the main thread's?) of each statement
        self._ended: list[tuple[float, float, bool]] = []

        @event.listens_for(engine, "before_cursor_execute")
        def before(*_: object) -> None:
            self._started.at = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def after(_conn: object, _cursor: object, statement: str, *__: object) -> None:
            key = " ".join(statement.split())[:90]
            end = time.perf_counter()
            took = end - self._started.at
            self.seconds[key] = self.seconds.get(key, 0.0) + took
            self._ended.append((end, took, threading.current_thread() is threading.main_thread()))
            self.calls[key] = self.calls.get(key, 0) + 1

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()
        self._ended.clear()

    def total_between(self, start: float, end: float, *, behind: bool | None = None) -> float:
        """The time of the statements that ran between ``start`` and ``end``
        (``perf_counter`` readings): all, or only those behind (in a helper thread), or
        only those not."""
        return sum(
            took
            for ended, took, main in self._ended
            if start <= ended - took and ended <= end and (behind is None or behind != main)
        )

    def print_top(self, n: int) -> None:
        print(f"statements: {sum(self.seconds.values()):.3f} s in {sum(self.calls.values())} calls")
        for key, seconds in sorted(self.seconds.items(), key=lambda kv: -kv[1])[:n]:
            print(f"  {seconds:7.3f} s {self.calls[key]:5d}x  {key}")


def _prepare(factory: sessionmaker[Session], args: argparse.Namespace) -> int:
    """Load the population and file the disputes; how many were filed."""
    today = population.REFERENCE_DAY
    start = time.perf_counter()
    people = population.generate(args.n, seed=args.seed, today=today)
    with factory() as session, session.begin():
        now = datetime.combine(today, clock_time(12, 0), tzinfo=UTC)
        clock.set_now(session, now)
        loaded = load_population(session, people, now)
    del people
    load_seconds = time.perf_counter() - start
    print(
        f"population n={loaded.subjects:,} seed={args.seed} as of {today}: "
        f"{loaded.accounts:,} accounts, {loaded.inquiries:,} inquiries; "
        f"generated and loaded in {load_seconds:.1f} s (not counted)"
    )
    start = time.perf_counter()
    with factory() as session:
        targets = _targets(session, args.disputes, args.inquiry_every)
    filed = _file_disputes(factory, targets, args.theft_every)
    print(
        f"{filed:,} disputes filed through the disputes service in "
        f"{time.perf_counter() - start:.1f} s (not counted)"
    )
    return filed


def _reference_seconds() -> float:
    """This minute's speed of the machine, for the ratio the call is judged by: the wall
    time of a fixed SQLite workload (``REFERENCE_ROWS`` rows of six values, text and integers
    like an audit event's, inserted into an in-memory table with one index, in one
    transaction), the best of ``REFERENCE_RUNS`` runs."""
    rows = [
        (k, f"sub_{k % 10_000:020x}", k // 10_000, "clearfile", "dispute.unverified", "0" * 64)
        for k in range(REFERENCE_ROWS)
    ]
    best = float("inf")
    for _ in range(REFERENCE_RUNS):
        connection = sqlite3.connect(":memory:")
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a, b, c, d, e)")
        connection.execute("CREATE INDEX t_ab ON t (a, b)")
        start = time.perf_counter()
        with connection:
            connection.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", rows)
        best = min(best, time.perf_counter() - start)
        connection.close()
    return best


@dataclass(frozen=True)
class _Call:
    seconds: float  # the call, without its commit
    rate: float  # disputes resolved per second over the call
    reference: float  # ``_reference_seconds`` around the call (the mean of before and after)
    ok: bool  # everything written, and the audit log verifies


def _one_call(
    engine: Engine,
    factory: sessionmaker[Session],
    args: argparse.Namespace,
    filed: int,
    parts: tuple[_Timed, _Timed, _StatementTimes],
    profiler: cProfile.Profile | None,
) -> _Call:
    """Move the clock once, as ``POST /v1/sandbox/clock`` does, time it, check what it
    wrote, and print what was measured."""
    deadline_run, purge, statements = parts
    for part in (deadline_run, purge, statements):
        part.reset()
    with factory() as session, session.begin():
        events_before = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        receipts_before = session.scalar(select(func.count()).select_from(ScoreReceipt)) or 0
    gc.collect()
    reference_before = _reference_seconds()
    with factory() as session:
        transaction = session.begin()
        if profiler is not None:
            profiler.enable()
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        start, cpu = time.perf_counter(), time.process_time()
        sandbox.move_clock(session, actor=ADMIN, to=None, advance_days=args.days)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        commit_start = time.perf_counter()
        transaction.commit()
        commit = time.perf_counter() - commit_start
        if profiler is not None:
            profiler.disable()
    reference_after = _reference_seconds()
    reference = (reference_before + reference_after) / 2

    with factory() as session:

        def count(model: type, *where: object) -> int:
            stmt = select(func.count()).select_from(model).where(*where)  # type: ignore[arg-type]
            return int(session.scalar(stmt) or 0)

        resolved = count(Dispute, Dispute.status == "resolved")
        blocked = count(Dispute, Dispute.outcome == "blocked")
        still_open = count(Dispute, Dispute.status == "open")
        suppressed = count(ItemFlag, ItemFlag.kind == "suppressed", ItemFlag.until.is_(None))
        disputed = count(ItemFlag, ItemFlag.kind == "disputed", ItemFlag.until.is_(None))
        notices = count(Notice)
        receipts = count(ScoreReceipt) - receipts_before
        events = count(AuditEvent) - events_before
        verify_start = time.perf_counter()
        check = audit.verify(session).check
        verify_seconds = time.perf_counter() - verify_start
    size = Path(str(engine.url.database)).stat().st_size

    rate = resolved / seconds if seconds else float("inf")
    print(
        f"move_clock(+{args.days} days), one call: {seconds:.3f} s wall "
        f"({seconds / reference:.2f} times the reference, {reference_before:.3f} s before it "
        f"and {reference_after:.3f} s after), {cpu:.3f} s CPU, {faults:,} page faults "
        f"(commit {commit:.3f} s after); of it, in the calling thread, the deadline run "
        f"{deadline_run.seconds:.3f} s (batches of {args.batch:,} subjects) and the "
        f"obsolescence purge {purge.seconds:.3f} s ({purge.result:,} items), their writes "
        f"ending behind them"
    )
    print(
        f"resolved {resolved:,} ({blocked:,} blocked, {resolved - blocked:,} unverified), "
        f"{still_open} still open -> {rate:,.0f} disputes resolved/s over the call "
        f"({resolved / cpu:,.0f} per CPU second; {resolved / (seconds + commit):,.0f}/s with "
        f"the commit; one process, its writes behind its Python work in one helper thread; "
        f"database {size / 2**20:,.0f} MiB after)"
    )
    print(
        f"written: {suppressed:,} suppressions in force, {disputed} disputed flags left, "
        f"{notices:,} notices, {receipts:,} score receipts, {events:,} audit events; "
        f"audit verify: {'valid' if check.valid else 'INVALID ' + str(check.reason)} "
        f"({check.events_checked:,} events, {verify_seconds:.1f} s)"
    )
    ok = (
        resolved == filed
        and still_open == 0
        and suppressed == resolved
        and disputed == 0
        and notices == resolved
        and receipts == resolved  # one subject per dispute here: one receipt each
        and check.valid
    )
    print(
        f"target >= {TARGET_DISPUTES_PER_SECOND:,} disputes/s: "
        f"{'met' if rate >= TARGET_DISPUTES_PER_SECOND else 'NOT met'}; "
        f"everything written: {'yes' if ok else 'NO'}"
    )
    database = statements.total_between(start, commit_start)
    behind = statements.total_between(start, commit_start, behind=True)
    print(
        f"of the call, SQLite's statements (sqlite3's execute calls, their parameters' "
        f"binding included) {database:.3f} s, {behind:.3f} s of them behind the Python work "
        f"(in the helper thread): with no Python work at all, this machine would resolve at "
        f"most {resolved / database if database else float('inf'):,.0f}/s"
    )
    if args.statements:
        statements.print_top(15)
    return _Call(seconds, rate, reference, ok)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="subjects loaded")
    parser.add_argument("--disputes", type=int, default=10_000, help="disputes filed")
    parser.add_argument("--days", type=int, default=31, help="days the clock moves")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--theft-every", type=int, default=10)
    parser.add_argument("--inquiry-every", type=int, default=20)
    parser.add_argument(
        "--batch",
        type=int,
        default=disputes.DEADLINE_BATCH_SUBJECTS,
        help="subjects per batch of the deadline run",
    )
    parser.add_argument("--profile", action="store_true", help="print the top of a profile")
    parser.add_argument(
        "--profile-sort", default="cumulative", help="the profile's order (pstats: tottime...)"
    )
    parser.add_argument(
        "--statements", action="store_true", help="print the statements that took the most time"
    )
    parser.add_argument(
        "--calls", type=int, default=3, help="clock moves timed, each from the same state"
    )
    parser.add_argument("--save", type=Path, help="keep the database before the clock move")
    parser.add_argument("--start-from", type=Path, help="a database kept with --save")
    args = parser.parse_args()
    if args.calls < 1:
        parser.error("--calls must be at least 1")
    with tempfile.TemporaryDirectory(prefix="clearfile-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)

        if args.start_from is not None:
            engine.dispose()
            shutil.copyfile(args.start_from, path)
            upgrade(url)  # a file saved before a later migration
            with factory() as session:
                filed = int(
                    session.scalar(
                        select(func.count()).select_from(Dispute).where(Dispute.status == "open")
                    )
                    or 0
                )
            print(f"started from {args.start_from}: {filed:,} open disputes")
        else:
            filed = _prepare(factory, args)
            if args.save is not None:
                engine.dispose()
                shutil.copyfile(path, args.save)
                print(f"saved the database before the clock move to {args.save}")
        before = Path(tmp) / "before.db"
        if args.calls > 1:
            engine.dispose()
            shutil.copyfile(path, before)

        disputes.DEADLINE_BATCH_SUBJECTS = args.batch
        # Always timed: the statements' share of the call is SQLite's own work, which no
        # change to Clearfile's Python could take away (a bound this machine sets).
        parts = (
            _Timed(disputes, "resolve_due"),
            _Timed(file_service, "purge"),
            _StatementTimes(engine),
        )
        profiler = cProfile.Profile() if args.profile else None
        calls: list[_Call] = []
        for k in range(args.calls):
            if k:
                engine.dispose()
                for suffix in ("-wal", "-shm"):
                    path.with_name(path.name + suffix).unlink(missing_ok=True)
                shutil.copyfile(before, path)
                print()
            print(f"call {k + 1} of {args.calls}:")
            calls.append(_one_call(engine, factory, args, filed, parts, profiler))
        engine.dispose()

    if profiler is not None:
        pstats.Stats(profiler).sort_stats(args.profile_sort).print_stats(40)
    if args.calls > 1:
        _summary(calls, filed)
    return 0 if all(call.ok for call in calls) else 1


def _summary(calls: list[_Call], filed: int) -> None:
    """The calls together: their rates, how many met the target, and the call's time as a
    multiple of the reference runs around it, which this machine's minute-to-minute
    speed changes much less than either figure alone."""
    rates = sorted(call.rate for call in calls)
    ratios = sorted(call.seconds / call.reference for call in calls)
    met = sum(rate >= TARGET_DISPUTES_PER_SECOND for rate in rates)
    ratio = statistics.median(ratios)
    budget = filed / TARGET_DISPUTES_PER_SECOND
    print()
    print(
        f"{len(calls)} calls: {', '.join(f'{rate:,.0f}' for rate in rates)} disputes resolved/s "
        f"(median {statistics.median(rates):,.0f}); target >= {TARGET_DISPUTES_PER_SECOND:,}/s "
        f"met in {met} of {len(calls)}"
    )
    print(
        f"the call took {', '.join(f'{r:.2f}' for r in ratios)} times the reference run "
        f"(median {ratio:.2f}): {filed:,} disputes in {budget:.2f} s, the target, on a minute when "
        f"the reference takes at most {budget / ratio:.3f} s"
    )


if __name__ == "__main__":
    raise SystemExit(main())
