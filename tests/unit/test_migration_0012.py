"""Migration 0012 (shard-ready keys) on a database with data in every table it changes:
every row is kept, the lookup tables are filled from the rows there, the keys are the new
ones, the file-revision triggers still fire, and a downgrade gives the rows back.

On SQLite (a file of its own) or, with ``CLEARFILE_TEST_DATABASE_URL``, on a PostgreSQL
database of its own."""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from service.core.db import make_engine
from service.core.migrate import downgrade, upgrade
from tests.databases import fresh_postgres_database

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

#: Rows at revision 0011, parents first: (table, given values); the other columns are
#: filled with a value of their type.
ROWS: list[tuple[str, dict[str, Any]]] = [
    *[
        ("principals", {"id": pid, "role": role})
        for pid, role in (
            ("sub_ada", "subject"),
            ("sub_bob", "subject"),
            ("fur_one", "furnisher"),
            ("fur_two", "furnisher"),
            ("len_one", "lender"),
        )
    ],
    ("subjects", {"id": "sub_ada", "national_id": "000-12-3456", "file_revision": "a"}),
    ("subjects", {"id": "sub_bob", "national_id": None, "file_revision": "b"}),
    ("accounts", {"id": "acc_1", "subject_id": "sub_ada", "furnisher_id": "fur_one",
                  "account_ref": "REF-1", "version": 2}),
    ("accounts", {"id": "acc_2", "subject_id": "sub_bob", "furnisher_id": "fur_two",
                  "account_ref": "REF-1", "version": 1}),
    ("account_versions", {"account_id": "acc_1", "subject_id": "sub_ada", "version": 1}),
    ("account_versions", {"account_id": "acc_1", "subject_id": "sub_ada", "version": 2}),
    ("account_versions", {"account_id": "acc_2", "subject_id": "sub_bob", "version": 1}),
    ("inquiries", {"id": "inq_1", "subject_id": "sub_ada", "lender_id": "len_one"}),
    ("public_records", {"id": "pub_1", "subject_id": "sub_ada"}),
    ("disputes", {"id": "dsp_1", "subject_id": "sub_ada", "furnisher_id": "fur_one"}),
    ("item_flags", {"id": "flg_1", "subject_id": "sub_ada", "dispute_id": "dsp_1"}),
    ("statements", {"id": "stm_1", "subject_id": "sub_ada", "dispute_id": "dsp_1"}),
    ("consents", {"id": "con_1", "subject_id": "sub_ada", "lender_id": "len_one"}),
    ("freezes", {"id": "frz_1", "subject_id": "sub_bob", "lifted_at": None}),
    ("fraud_alerts", {"id": "fra_1", "subject_id": "sub_bob"}),
    ("notices", {"id": "ntc_1", "subject_id": "sub_ada"}),
    ("score_receipts", {"id": "scr_1", "subject_id": "sub_ada"}),
    ("lender_scores", {"receipt_id": "scr_1", "subject_id": "sub_ada", "lender_id": "len_one",
                       "consent_id": "con_1"}),
    ("lender_decisions", {"id": "dec_1", "subject_id": "sub_ada", "lender_id": "len_one",
                          "consent_id": "con_1", "receipt_id": "scr_1"}),
]  # fmt: skip

TABLES = sorted({table for table, _ in ROWS})


def _value(column: sa.Column[Any]) -> Any:
    python = column.type.python_type if not isinstance(column.type, sa.JSON) else dict
    if python is str:
        return f"{column.name}-x"[: getattr(column.type, "length", None) or 64]
    if python is int:
        return 1
    if python is bool:
        return False
    if python is datetime:
        return AT
    if python is date:
        return date(2026, 11, 1)
    return {"k": 1}


@pytest.fixture
def database(database_url: str, tmp_path: Path) -> Iterator[str]:
    if database_url.startswith("postgresql"):
        with fresh_postgres_database(database_url, "migration_0012") as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'migration-0012.db'}"


def _rows(engine: sa.Engine) -> dict[str, set[tuple[Any, ...]]]:
    """Every row of the tables, as (column, value) pairs, without account_versions.id."""
    metadata = sa.MetaData()
    metadata.reflect(engine, only=TABLES)
    out: dict[str, set[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name in TABLES:
            table = metadata.tables[name]
            columns = [c for c in table.c if not (name == "account_versions" and c.name == "id")]
            columns = [c for c in columns if c.name != "file_revision"]
            out[name] = {
                tuple(zip([c.name for c in columns], map(repr, row), strict=True))
                for row in conn.execute(sa.select(*columns))
            }
    return out


def test_the_migration_keeps_every_row_and_fills_the_lookups(database: str) -> None:
    upgrade(database, "0011")
    engine = make_engine(database)
    try:
        metadata = sa.MetaData()
        metadata.reflect(engine)
        with engine.begin() as conn:
            for name, given in ROWS:
                table = metadata.tables[name]
                row = {
                    c.name: given[c.name] if c.name in given else _value(c)
                    for c in table.c
                    if (c.name in given or not c.nullable)
                    and not (name == "account_versions" and c.name == "id")  # its sequence's
                }
                conn.execute(table.insert().values(**row))
        before = _rows(engine)
        assert all(before[name] for name in TABLES)

        upgrade(database, "0012")
        engine.dispose()
        assert _rows(engine) == before
        inspector = sa.inspect(engine)
        assert inspector.get_pk_constraint("accounts")["constrained_columns"] == [
            "id",
            "subject_id",
        ]
        assert inspector.get_pk_constraint("account_versions")["constrained_columns"] == [
            "account_id",
            "version",
            "subject_id",
        ]
        with engine.begin() as conn:
            refs = set(conn.execute(sa.text(
                "SELECT furnisher_id, account_ref, subject_id, account_id FROM account_refs"
            )).all())  # fmt: skip
            assert refs == {
                ("fur_one", "REF-1", "sub_ada", "acc_1"),
                ("fur_two", "REF-1", "sub_bob", "acc_2"),
            }
            ids = set(conn.execute(sa.text("SELECT national_id, subject_id FROM national_ids")))
            assert ids == {("000-12-3456", "sub_ada")}
            # The file-revision triggers fire on the rebuilt tables.
            revision = sa.text("SELECT file_revision FROM subjects WHERE id = 'sub_bob'")
            old = conn.execute(revision).scalar()
            conn.execute(sa.text("DELETE FROM fraud_alerts WHERE id = 'fra_1'"))
            assert conn.execute(revision).scalar() != old
        # A version must belong to its account's subject (the composite foreign key).
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE account_versions SET subject_id = 'sub_bob' WHERE account_id = 'acc_1'"
                )
            )
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO account_refs (furnisher_id, account_ref, subject_id, account_id) "
                    "VALUES ('fur_one', 'REF-1', 'sub_bob', 'acc_9')"
                )
            )

        downgrade(database, "0011")
        engine.dispose()
        after_down = _rows(engine)
        assert after_down["accounts"] == before["accounts"]
        assert after_down["account_versions"] == before["account_versions"]
        assert after_down["fraud_alerts"] == set()
        assert sa.inspect(engine).get_pk_constraint("accounts")["constrained_columns"] == ["id"]
        upgrade(database)
    finally:
        engine.dispose()


def test_the_migrated_schema_has_the_models_keys(engine: sa.Engine) -> None:
    """The migrations and the models agree: each table's primary key (columns, in order),
    and what autogenerate compares (unique constraints, indexes, foreign keys)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from service.models import Base

    inspector = sa.inspect(engine)
    for table in Base.metadata.sorted_tables:
        expected = [c.name for c in table.primary_key.columns]
        got = inspector.get_pk_constraint(table.name)["constrained_columns"]
        assert got == expected, table.name
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        assert compare_metadata(context, Base.metadata) == []
