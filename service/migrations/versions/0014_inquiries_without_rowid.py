"""inquiries without rowid (SQLite): a row kept in its primary key's b-tree

Every lender's pull inserts an inquiry. On SQLite the table was a rowid table with its
primary key ``(id, subject_id)`` in an index of its own beside it: two b-trees written for
the key alone, so a pull's commit wrote a page of each (a WAL frame each, copied again by
the next checkpoint). A ``WITHOUT ROWID`` table keeps each row in its primary key's b-tree:
one b-tree, one page, for the same rows and the same lookups (by key, and by the indexes on
``subject_id`` and ``at``, which now hold the key where they held the rowid). Its rows are
small (about 120 bytes), the case SQLite's documentation gives for it ("The WITHOUT ROWID
Optimization", section 4).

SQLite cannot change that in place: the table is made again with the same SQL plus
``WITHOUT ROWID``, its rows copied, the old one dropped and the new one renamed, then its
indexes and triggers (the file-revision triggers) made again from their SQL, as migration
0012 rebuilt tables. No other table's foreign key names ``inquiries``. PostgreSQL has no
rowid: nothing changes there.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 06:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "inquiries"
_SUFFIX = " WITHOUT ROWID"


def _rebuild(*, without_rowid: bool) -> None:
    """Make ``inquiries`` again, with or without its rowid, keeping its rows, indexes and
    triggers."""
    bind = op.get_bind()
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        # A table dropped with foreign keys on would delete its children's rows (ON DELETE
        # CASCADE): env.py turns them off around the migrations.
        raise RuntimeError("migration 0014 must run with SQLite's foreign keys off")
    table_sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
    ).scalar_one()
    saved = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master "
        "WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL "
        "ORDER BY type, name",
        (TABLE,),
    ).scalars()
    saved_sql = list(saved)
    body = table_sql.rstrip()
    if body.endswith(_SUFFIX):
        body = body[: -len(_SUFFIX)]
    head, _, columns = body.partition("(")
    if TABLE not in head:  # pragma: no cover - the table's own CREATE TABLE statement
        raise RuntimeError(f"unexpected SQL for {TABLE}: {table_sql[:80]}")
    new = f"_rebuilt_{TABLE}"
    bind.exec_driver_sql(
        f'CREATE TABLE "{new}" ({columns}' + (_SUFFIX if without_rowid else "")
    )
    bind.exec_driver_sql(f'INSERT INTO "{new}" SELECT * FROM "{TABLE}"')
    # The rename must not re-parse the other tables' triggers while this one is away
    # (SQLite 3.26+ would), nor rewrite references to it.
    bind.exec_driver_sql("PRAGMA legacy_alter_table = ON")
    try:
        bind.exec_driver_sql(f'DROP TABLE "{TABLE}"')
        bind.exec_driver_sql(f'ALTER TABLE "{new}" RENAME TO "{TABLE}"')
    finally:
        bind.exec_driver_sql("PRAGMA legacy_alter_table = OFF")
    for sql in saved_sql:
        bind.exec_driver_sql(sql)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(without_rowid=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(without_rowid=False)
