"""``COPY``'s text format as the batch writes it (``core.bulk.copy_text_*``), and receipts
written by one ``COPY`` of text (PostgreSQL) read back as they were given, backslashes,
NULL and the shared moment included; on SQLite the same test goes through the executemany."""

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from schemas.common import Role
from service.core.bulk import COPY_FROM_ROWS, COPY_NULL, copy_text_column, copy_text_value
from service.core.security import new_id
from service.principals.models import Principal, Subject
from service.scoring import queries
from service.scoring.bulk import receipt_ids
from service.scoring.models import ScoreReceipt

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


def test_a_column_with_nothing_to_escape_is_given_back_as_it_is() -> None:
    column = ['{"a":[1,2]}', "rcp_0123", '["x y",null]']
    assert copy_text_column(column) is column


def test_a_column_with_something_to_escape_has_each_value_escaped() -> None:
    column = ["plain", 'a\\"b', "tab\there", "line\nnext", "cr\rx"]
    assert copy_text_column(column) == [
        "plain",
        'a\\\\"b',
        "tab\\there",
        "line\\nnext",
        "cr\\rx",
    ]


def test_a_value_is_written_as_postgresql_reads_it() -> None:
    assert copy_text_value(None) == COPY_NULL == "\\N"
    assert copy_text_value("a\\b\tc") == "a\\\\b\\tc"
    assert copy_text_value(-12) == "-12"
    assert copy_text_value(date(2026, 12, 1)) == "2026-12-01"
    moment = datetime(2026, 12, 1, 13, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert copy_text_value(moment) == "2026-12-01T13:00:00-05:00"


@pytest.mark.parametrize("value", [True, 1.5, b"x", NOW.replace(tzinfo=None)])
def test_a_value_copy_cannot_write_exactly_is_refused(value: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        copy_text_value(value)


def _subject(session: Session) -> str:
    subject_id = new_id("sub")
    session.execute(
        insert(Principal),
        [{"id": subject_id, "role": Role.subject.value, "name": "Copy Text", "created_at": NOW}],
    )
    session.execute(
        insert(Subject),
        [
            {
                "id": subject_id,
                "given_name": "Copy",
                "family_name": "Text",
                "date_of_birth": date(1990, 1, 1),
                "national_id": None,
                "addresses": [],
                "created_at": NOW,
            }
        ],
    )
    return subject_id


def test_receipts_written_in_bulk_read_back_as_given(session: Session) -> None:
    # Enough rows for PostgreSQL's COPY; JSON text whose strings hold backslash escapes (a
    # quote, a backslash, a tab, a non-ASCII character), which COPY's text format must
    # escape in turn, and a receipt without a score (NULL).
    subject_id = _subject(session)
    n = COPY_FROM_ROWS + 5
    awkward = json.dumps(['q"uote', "back\\slash", "tab\there", "é", "line\nbreak"])
    rows = [
        (
            rid,
            subject_id,
            None if i % 2 else 600 + i,
            json.dumps({"format": 1, "accounts": [], "inquiries": [], "public_records": []}),
            awkward if i % 3 == 0 else '{"k":1}',
            f"[{i}]",
            "[]",
            '[["X","why \\"not\\""]]',
        )
        for i, rid in enumerate(receipt_ids(n))
    ]
    same = {
        "model_version": "copy-test",
        "computed_at": NOW,
        "scored_on": NOW.date(),
        "purpose": "batch_scoring",
        "requested_by": "admin",
    }
    queries.insert_encoded_receipts(session, rows, same=same)
    stored = {
        r.id: r
        for r in session.scalars(select(ScoreReceipt).where(ScoreReceipt.subject_id == subject_id))
    }
    assert len(stored) == n
    for rid, subject, score, inputs, characteristics, factors, reasons, no_score in rows:
        receipt = stored[rid]
        assert (receipt.subject_id, receipt.score) == (subject, score)
        assert receipt.inputs == json.loads(inputs)
        assert receipt.characteristics == json.loads(characteristics)
        assert receipt.factors == json.loads(factors)
        assert receipt.reasons == json.loads(reasons)
        assert receipt.no_score_reasons == json.loads(no_score)
        assert (receipt.model_version, receipt.computed_at, receipt.scored_on) == (
            "copy-test",
            NOW,
            NOW.date(),
        )
        assert (receipt.purpose, receipt.requested_by) == ("batch_scoring", "admin")
