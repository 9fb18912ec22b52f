"""Batch scoring: the column form of the characteristics equals ``compute``, and scoring a
whole population in the database gives every subject the receipt ``GET /v1/me/score`` would."""

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from schemas.common import Role
from service.audit.models import SYSTEM_CHAIN, AuditEvent
from service.core.db import make_sessionmaker
from service.core.security import new_id
from service.file.models import Inquiry, PublicRecord
from service.furnishing.models import Account
from service.jobs.load_population import load_population
from service.jobs.score_all import BATCH_PURPOSE, score_all
from service.modelling import population as pop
from service.principals.models import Principal, Subject
from service.scoring import queries
from service.scoring import service as scoring_service
from service.scoring.bulk import chunk_of_files, receipt_ids, score_chunk
from service.scoring.engine.characteristics import compute
from service.scoring.engine.columns import characteristic_columns
from service.scoring.engine.explain import explain_file
from service.scoring.engine.inputs import FileInput
from service.scoring.engine.scorecard import Scorecard, get_model
from service.scoring.models import ScoreReceipt
from service.scoring.receipts import content_of, inputs_json
from service.scoring.rules import NO_ACCOUNT_OLD_ENOUGH, NO_RECENT_REPORT
from tests.databases import migrated_postgres_sessions, migrated_sessions
from tests.unit.scoring_factories import TODAY, files, load_test_model

MODELS = {"test": load_test_model(), "shipped": get_model()}
NOW = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)


def _canonical(inputs: dict[str, Any]) -> dict[str, Any]:
    """Receipt inputs with each list of records in a fixed order (the batch lists a file's
    records in the order the database holds them)."""
    return {k: sorted(v, key=json.dumps) if isinstance(v, list) else v for k, v in inputs.items()}


# --- the column form, against the reference ------------------------------------------------


@pytest.mark.parametrize("model_name", sorted(MODELS))
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=st.lists(files(), max_size=8))
def test_a_chunk_scores_like_each_file_on_its_own(batch: list[FileInput], model_name: str) -> None:
    model = MODELS[model_name]
    chunk = chunk_of_files(batch)
    values = characteristic_columns(chunk.files, TODAY).values()
    scored = score_chunk(chunk, TODAY, model)
    inputs = chunk.inputs_texts()
    for k, file in enumerate(batch):
        expected = compute(file, TODAY)
        assert values[k] == expected
        assert [type(v) for v in values[k].values()] == [type(v) for v in expected.values()]
        content = content_of(explain_file(file, TODAY, model))
        assert scored.scores[k] == content.score
        assert json.loads(scored.characteristics[k]) == content.characteristics
        assert json.loads(scored.factors[k]) == content.factors
        assert json.loads(scored.reasons[k]) == content.reasons
        assert json.loads(scored.no_score_reasons[k]) == content.no_score_reasons
        assert json.loads(inputs[k]) == inputs_json(file)


def test_receipt_ids_have_the_form_of_new_id() -> None:
    ids = receipt_ids(1000)
    form = re.compile(r"^rcp_[0-9a-f]{20}$")
    assert len(new_id("rcp")) == len(ids[0])
    assert all(form.match(i) for i in ids)
    assert len(set(ids)) == 1000
    assert ids == sorted(ids)  # one place in the primary-key index per chunk
    assert not set(ids) & set(receipt_ids(1000))  # another chunk's own
    assert receipt_ids(0) == []


# --- a population in the database -----------------------------------------------------------


@pytest.fixture
def factory(connection: Connection) -> sessionmaker[Session]:
    """Sessions that join the test's transaction (each "commit" is a savepoint)."""
    return make_sessionmaker(connection, join_transaction_mode="create_savepoint")


@dataclass(frozen=True)
class Population:
    ids: list[str]  # every subject, sorted
    first: str  # holds an obsolete collection, a deleted account, an old inquiry, bankruptcy
    second: str  # holds a collection three years old
    nobody: str  # has no file at all


@pytest.fixture
def population(session: Session) -> Population:
    """120 generated people, plus the edge cases the generator never makes: an obsolete
    collection, a deleted account, an inquiry shown no more, an obsolete bankruptcy, and a
    subject with no file at all."""
    people = pop.generate(120, seed=7, today=NOW.date())
    loaded = load_population(session, people, NOW)
    ids = list(session.scalars(select(Subject.id).order_by(Subject.id)))
    assert len(ids) == loaded.subjects
    first, second = ids[0], ids[1]
    some_account = session.scalars(select(Account).where(Account.subject_id == first)).first()
    assert some_account is not None
    furnisher, lender = some_account.furnisher_id, loaded_lender(session)
    today = NOW.date()

    def add_account(subject_id: str, **fields: Any) -> None:
        row = {
            "id": new_id("acc"),
            "subject_id": subject_id,
            "furnisher_id": furnisher,
            "account_ref": new_id("ref"),
            "account_type": "collection",
            "opened_on": date(2017, 1, 1),
            "credit_limit_cents": None,
            "original_amount_cents": 50_000,
            "balance_cents": 50_000,
            "past_due_cents": 50_000,
            "status": "93",
            "payment_history": "G" * 24,
            "date_of_first_delinquency": today - timedelta(days=365 * 8),
            "closed_on": None,
            "as_of": today,
            "compliance_condition_code": None,
            "version": 1,
            "created_at": NOW,
            "updated_at": NOW,
            **fields,
        }
        session.execute(insert(Account), [row])

    add_account(first)  # obsolete: 8 years after its first delinquency
    add_account(first, status="DA", date_of_first_delinquency=None)  # deleted by its furnisher
    add_account(second, date_of_first_delinquency=today - timedelta(days=365 * 3))  # counts
    session.execute(
        insert(Inquiry),
        [
            {
                "id": new_id("inq"),
                "subject_id": first,
                "lender_id": lender,
                "purpose": "credit_application",
                "kind": "hard",
                "at": NOW - timedelta(days=30 * 25),
            }
        ],
    )
    session.execute(
        insert(PublicRecord),
        [
            {
                "id": new_id("pr"),
                "subject_id": first,
                "kind": "bankruptcy",
                "chapter": 7,
                "status": "discharged",
                "filed_on": date(2014, 1, 1),
                "resolved_on": None,
                "court": "Fictional Court",
                "reference": "X-1",
                "created_at": NOW,
            }
        ],
    )
    nobody = new_id("sub")
    session.execute(
        insert(Principal),
        [{"id": nobody, "role": Role.subject.value, "name": "Pop Nobody", "created_at": NOW}],
    )
    session.execute(
        insert(Subject),
        [
            {
                "id": nobody,
                "given_name": "Pop",
                "family_name": "Nobody",
                "date_of_birth": date(1990, 1, 1),
                "national_id": None,
                "addresses": [],
                "created_at": NOW,
            }
        ],
    )
    session.flush()
    return Population(ids=sorted([*ids, nobody]), first=first, second=second, nobody=nobody)


def loaded_lender(session: Session) -> str:
    lender = session.scalars(select(Principal.id).where(Principal.role == "lender")).first()
    assert lender is not None
    return lender


def _run(
    factory: sessionmaker[Session], model: Scorecard, chunk: int
) -> tuple[Any, list[tuple[int, int]]]:
    calls: list[tuple[int, int]] = []
    result = score_all(
        factory, now=NOW, model=model, chunk=chunk, progress=lambda d, t: calls.append((d, t))
    )
    return result, calls


# A chunk of 50 receipts is written by an executemany; one of 200 (every subject) by
# PostgreSQL's COPY (``core.bulk.COPY_FROM_ROWS``).
@pytest.mark.parametrize("chunk", [50, 200])
@pytest.mark.parametrize("model_name", sorted(MODELS))
def test_batch_receipts_equal_scoring_each_subject_on_its_own(
    session: Session,
    factory: sessionmaker[Session],
    population: Population,
    model_name: str,
    chunk: int,
) -> None:
    model = MODELS[model_name]
    result, calls = _run(factory, model, chunk=chunk)
    n = len(population.ids)
    ends = [*range(chunk, n, chunk), n]
    assert (result.subjects, result.chunks) == (n, len(ends))
    assert result.scored + result.no_score == n
    assert calls == [(end, n) for end in ends]

    receipts = {r.subject_id: r for r in session.scalars(select(ScoreReceipt))}
    assert sorted(receipts) == population.ids
    for subject_id in population.ids:
        scoring = scoring_service.file_input(session, subject_id=subject_id, now=NOW)
        expected = content_of(explain_file(scoring.file, NOW.date(), model))
        receipt = receipts[subject_id]
        assert receipt.score == expected.score
        assert receipt.characteristics == expected.characteristics
        assert receipt.factors == expected.factors
        assert receipt.reasons == expected.reasons
        assert receipt.no_score_reasons == expected.no_score_reasons
        assert _canonical(receipt.inputs) == _canonical(inputs_json(scoring.file))
        assert (receipt.model_version, receipt.purpose, receipt.requested_by) == (
            model.version,
            BATCH_PURPOSE,
            "admin",
        )
        assert (receipt.computed_at, receipt.scored_on) == (NOW, NOW.date())


def test_what_is_not_on_the_file_does_not_count(
    session: Session, factory: sessionmaker[Session], population: Population
) -> None:
    first, second = population.first, population.second
    _run(factory, MODELS["shipped"], chunk=500)
    receipts = {r.subject_id: r for r in session.scalars(select(ScoreReceipt))}
    generated = pop.generate(120, seed=7, today=NOW.date())  # the same people, in load order
    by_family = {
        s.id: s.family_name for s in session.scalars(select(Subject).where(Subject.id == first))
    }
    index = int(by_family[first].split()[-1])
    file = generated.files[index]
    # Neither the obsolete collection, nor the deleted account, nor the old inquiry, nor the
    # old bankruptcy is there; the first subject's receipt holds exactly the generated file.
    assert len(receipts[first].inputs["accounts"]) == len(file.accounts)
    assert len(receipts[first].inputs["inquiries"]) == len(file.inquiries)
    assert receipts[first].inputs["public_records"] == []
    assert receipts[first].characteristics == compute(file, NOW.date())
    # A collection three years old does count.
    second_types = [a[0] for a in receipts[second].inputs["accounts"]]
    assert "collection" in second_types
    assert receipts[second].characteristics["derogatory_count"] >= 1


def test_a_subject_without_a_file_gets_a_receipt_without_a_score(
    session: Session, factory: sessionmaker[Session], population: Population
) -> None:
    result, _ = _run(factory, MODELS["test"], chunk=500)
    receipt = session.scalars(
        select(ScoreReceipt).where(ScoreReceipt.subject_id == population.nobody)
    ).one()
    assert receipt.score is None
    assert receipt.no_score_reasons == [
        [NO_ACCOUNT_OLD_ENOUGH.code, NO_ACCOUNT_OLD_ENOUGH.text],
        [NO_RECENT_REPORT.code, NO_RECENT_REPORT.text],
    ]
    assert receipt.factors == []
    assert result.no_score >= 1


def test_the_batch_writes_one_event_on_the_system_chain(
    session: Session, factory: sessionmaker[Session], population: Population
) -> None:
    result, _ = _run(factory, MODELS["shipped"], chunk=40)
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "score.batch")).all()
    assert len(events) == 1
    (event,) = events
    assert (event.chain, event.subject_id, event.actor_id) == (SYSTEM_CHAIN, None, "admin")
    assert event.purpose == BATCH_PURPOSE
    assert event.resource_id == (
        f"model={result.model_version};on={NOW.date().isoformat()};"
        f"subjects={result.subjects};scored={result.scored}"
    )


def test_batch_receipts_sort_with_receipts_written_one_at_a_time(
    session: Session, factory: sessionmaker[Session], population: Population
) -> None:
    """The batch writes its rows straight to the driver: their timestamps must be stored
    exactly as the ORM stores them, or a subject's history would mis-order."""
    subject = population.ids[5]
    _run(factory, MODELS["test"], chunk=500)
    (batch_receipt,) = queries.receipts_of_subject(session, subject, before=None, limit=10)
    later = ScoreReceipt(
        id=new_id("rcp"),
        subject_id=subject,
        model_version="test-model",
        score=None,
        computed_at=NOW + timedelta(microseconds=1),
        scored_on=NOW.date(),
        purpose="subject_access",
        requested_by=subject,
        inputs={"format": 1, "accounts": [], "inquiries": [], "public_records": []},
        characteristics={},
        factors=[],
        reasons=[],
        no_score_reasons=[],
    )
    queries.add_receipt(session, later)
    history = queries.receipts_of_subject(session, subject, before=None, limit=10)
    assert [r.id for r in history] == [later.id, batch_receipt.id]
    older = queries.receipts_of_subject(
        session, subject, before=(later.computed_at, later.id), limit=10
    )
    assert [r.id for r in older] == [batch_receipt.id]
    # An older batch of the same subjects stays in the history, as every score does.
    session.execute(update(ScoreReceipt).values(computed_at=NOW - timedelta(days=1)))
    _run(factory, MODELS["test"], chunk=500)
    assert len(queries.receipts_of_subject(session, subject, before=None, limit=10)) == 3


def test_a_chunk_must_hold_a_subject() -> None:
    def no_factory() -> Session:
        raise AssertionError("not reached")

    run: Callable[..., Any] = score_all
    with pytest.raises(ValueError, match="chunk"):
        run(no_factory, now=NOW, model=MODELS["test"], chunk=0)


def test_an_account_a_dispute_took_off_the_file_is_not_scored(
    session: Session, factory: sessionmaker[Session], population: Population
) -> None:
    from schemas.disputes import DisputeCreate
    from service.core.security import Principal as Caller
    from service.disputes import service as disputes

    subject_id = next(
        s
        for s in population.ids
        if len(scoring_service.file_input(session, subject_id=s, now=NOW).file.accounts) > 1
    )
    shown = scoring_service.file_input(session, subject_id=subject_id, now=NOW)
    filed_at = NOW - timedelta(days=40)
    disputes.file_dispute(
        session,
        subject=Caller(id=subject_id, role=Role.subject, name="Pop Person"),
        body=DisputeCreate.model_validate(
            {
                "item_type": "account",
                "item_id": shown.account_ids[0],
                "reason_code": "not_mine",
                "description": "Not mine.",
            }
        ),
        now=filed_at,
    )
    assert disputes.run_due(session, now=NOW) == 1  # unanswered: suppressed
    session.flush()
    _run(factory, MODELS["shipped"], chunk=50)
    receipt = session.scalars(
        select(ScoreReceipt).where(
            ScoreReceipt.subject_id == subject_id, ScoreReceipt.purpose == BATCH_PURPOSE
        )
    ).one()
    assert len(receipt.inputs["accounts"]) == len(shown.file.accounts) - 1
    after = scoring_service.file_input(session, subject_id=subject_id, now=NOW)
    assert _canonical(receipt.inputs) == _canonical(inputs_json(after.file))


# --- several chunks at once ------------------------------------------------------------------


@pytest.fixture
def own_sessions(database_url: str, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """Sessions on a committed database of the test's own (each chunk's thread takes its own
    connection, which the test's rolled-back transaction cannot give)."""
    if database_url.startswith("postgresql"):
        with migrated_postgres_sessions(database_url, "score_all") as sessions:
            yield sessions
        return
    with migrated_sessions(f"sqlite:///{tmp_path / 'own.db'}") as sessions:
        yield sessions


def test_chunks_scored_at_once_store_what_one_after_another_stores(
    own_sessions: sessionmaker[Session],
) -> None:
    people = pop.generate(90, seed=12, today=NOW.date())
    with own_sessions() as session, session.begin():
        load_population(session, people, NOW)
    model = MODELS["shipped"]

    def receipts() -> dict[str, tuple[Any, ...]]:
        with own_sessions() as session:
            rows = session.scalars(select(ScoreReceipt)).all()
            out = {
                r.subject_id: (
                    r.score,
                    r.characteristics,
                    r.factors,
                    r.reasons,
                    r.no_score_reasons,
                    _canonical(r.inputs),
                )
                for r in rows
            }
            assert len(out) == len(rows), "one receipt per subject"
            session.execute(delete(ScoreReceipt))
            session.commit()
        return out

    calls: list[tuple[int, int]] = []
    one_by_one = score_all(own_sessions, now=NOW, model=model, chunk=20, workers=1)
    expected = receipts()
    at_once = score_all(
        own_sessions,
        now=NOW,
        model=model,
        chunk=20,
        workers=3,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert receipts() == expected
    assert len(expected) == 90
    assert (at_once.subjects, at_once.scored, at_once.chunks) == (
        one_by_one.subjects,
        one_by_one.scored,
        5,
    )
    # Progress is told in order, once per chunk.
    assert calls == [(20, 90), (40, 90), (60, 90), (80, 90), (90, 90)]


def test_workers_must_be_at_least_one(factory: sessionmaker[Session]) -> None:
    with pytest.raises(ValueError, match="workers"):
        score_all(factory, now=NOW, model=MODELS["test"], workers=0)
