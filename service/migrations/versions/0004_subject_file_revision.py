"""subject file revision, changed by the database on every change to the file's items

``subjects.file_revision`` is a random token that the database replaces whenever a row of
accounts, inquiries or public_records about the subject is inserted, updated or deleted,
by whatever path (the API, a batch load, a hand edit). A process may keep what it built
from a subject's file for as long as the token it read is unchanged
(``service.file.service.build_report``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 18:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The tables whose rows are items of a subject's file (each has ``subject_id``).
ITEM_TABLES = ("accounts", "inquiries", "public_records")
FUNCTION = "subjects_new_file_revision"

_PG_FUNCTION = f"""
CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE subjects SET file_revision = substr(md5(random()::text), 1, 16)
        WHERE id = OLD.subject_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE subjects SET file_revision = substr(md5(random()::text), 1, 16)
        WHERE id = NEW.subject_id;
    END IF;
    RETURN NULL;
END $$
"""


def _trigger(table: str, event: str = "") -> str:
    return f"trg_{table}_new_file_revision{event and '_' + event.lower()}"


def upgrade() -> None:
    with op.batch_alter_table("subjects") as batch:
        batch.add_column(
            sa.Column("file_revision", sa.String(length=16), nullable=False, server_default="")
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE subjects SET file_revision = substr(md5(random()::text), 1, 16)")
        op.execute(_PG_FUNCTION)
        for table in ITEM_TABLES:
            op.execute(
                f"CREATE TRIGGER {_trigger(table)} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
            )
        return
    new_revision = "UPDATE subjects SET file_revision = lower(hex(randomblob(8)))"
    op.execute(new_revision)
    for table in ITEM_TABLES:
        for event, rows in (
            ("INSERT", "NEW.subject_id"),
            ("UPDATE", "OLD.subject_id, NEW.subject_id"),
            ("DELETE", "OLD.subject_id"),
        ):
            op.execute(
                f"CREATE TRIGGER {_trigger(table, event)} AFTER {event} ON {table} "
                f"FOR EACH ROW BEGIN {new_revision} WHERE id IN ({rows}); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ITEM_TABLES:
            op.execute(f"DROP TRIGGER {_trigger(table)} ON {table}")
        op.execute(f"DROP FUNCTION {FUNCTION}()")
    else:
        for table in ITEM_TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(f"DROP TRIGGER {_trigger(table, event)}")
    with op.batch_alter_table("subjects") as batch:
        batch.drop_column("file_revision")
