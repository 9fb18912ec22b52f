"""Migration 0014 (inquiries without rowid, SQLite) on a database with inquiries: every row
is kept, the table keeps each row in its key's b-tree, its indexes and file-revision
triggers are there again and fire, and a downgrade gives the rowid table back, rows and
all. (PostgreSQL has no rowid: nothing to see there.)"""

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from service.core.db import make_engine
from service.core.migrate import downgrade, upgrade

INQUIRIES = [
    ("inq_1", "sub_ada", "len_one", "credit_application", "hard", "2026-11-20 12:00:00.000000"),
    ("inq_2", "sub_ada", "len_one", "account_review", "soft", "2026-11-21 12:00:00.000000"),
    ("inq_3", "sub_bob", "len_one", "tenant_screening", "soft", "2026-11-22 12:00:00.000000"),
]


@pytest.fixture
def old_database(database_url: str, tmp_path: Path) -> Iterator[sa.Engine]:
    if not database_url.startswith("sqlite"):
        pytest.skip("a SQLite table's storage: PostgreSQL has no rowid")
    url = f"sqlite:///{tmp_path / 'm0014.db'}"
    upgrade(url, "0013")
    engine = make_engine(url)
    with engine.begin() as conn:
        for pid, role in (("sub_ada", "subject"), ("sub_bob", "subject"), ("len_one", "lender")):
            conn.exec_driver_sql(
                "INSERT INTO principals (id, role, name, created_at) VALUES (?, ?, ?, ?)",
                (pid, role, pid, "2026-11-01 00:00:00.000000"),
            )
        for sid in ("sub_ada", "sub_bob"):
            conn.exec_driver_sql(
                "INSERT INTO subjects (id, given_name, family_name, date_of_birth, addresses, "
                "created_at, file_revision) VALUES (?, 'A', 'B', '1990-01-01', '[]', "
                "'2026-11-01 00:00:00.000000', 'r0')",
                (sid,),
            )
        conn.exec_driver_sql("INSERT INTO inquiries VALUES (?, ?, ?, ?, ?, ?)", INQUIRIES)
    try:
        yield engine
    finally:
        engine.dispose()


def _table_sql(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        sql: str = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'inquiries'"
        ).scalar_one()
        return sql


def _rows(engine: sa.Engine) -> list[tuple[str, ...]]:
    with engine.connect() as conn:
        return sorted(conn.exec_driver_sql("SELECT * FROM inquiries").all())  # type: ignore[arg-type]


def _schema_of_inquiries(engine: sa.Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return sorted(
            conn.exec_driver_sql(
                "SELECT type, name FROM sqlite_master WHERE tbl_name = 'inquiries' "
                "AND type IN ('index', 'trigger') AND sql IS NOT NULL"
            ).all()  # type: ignore[arg-type]
        )


def test_inquiries_are_kept_without_rowid_and_back(old_database: sa.Engine) -> None:
    engine = old_database
    url = str(engine.url)
    before_schema = _schema_of_inquiries(engine)
    assert ("index", "ix_inquiries_at") in before_schema
    assert ("trigger", "trg_inquiries_new_file_revision_insert") in before_schema

    upgrade(url, "0014")
    engine.dispose()
    assert _table_sql(engine).rstrip().endswith("WITHOUT ROWID")
    assert _rows(engine) == sorted(INQUIRIES)
    assert _schema_of_inquiries(engine) == before_schema
    # The file-revision trigger still fires, and the key still holds.
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO inquiries VALUES ('inq_4', 'sub_bob', 'len_one', 'insurance', "
            "'soft', '2026-11-23 12:00:00.000000')"
        )
        revision = conn.exec_driver_sql(
            "SELECT file_revision FROM subjects WHERE id = 'sub_bob'"
        ).scalar()
        assert revision != "r0"
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO inquiries VALUES (?, ?, ?, ?, ?, ?)", INQUIRIES[0])

    downgrade(url, "0013")
    engine.dispose()
    assert not _table_sql(engine).rstrip().endswith("WITHOUT ROWID")
    assert len(_rows(engine)) == len(INQUIRIES) + 1
    assert _schema_of_inquiries(engine) == before_schema
    upgrade(url)
