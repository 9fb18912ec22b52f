"""per-row triggers a bulk write may defer to the end of its batch

The audit chain-head trigger (0003) and the file-revision triggers (0004 to 0006) fire once
per row. A bulk path (the deadline run: thousands of disputes closed, flags ended, items
suppressed, events audited) may now defer them within its own transaction and do their work
once per chain and once per subject instead (``service.core.row_triggers``): on PostgreSQL
the trigger functions return at once while the transaction-local setting
``clearfile.defer_<name>`` is "on"; on SQLite (no settings) each trigger gains a WHEN
condition that is false while ``row_trigger_deferrals`` holds its name, a row that only the
writing transaction ever sees. Every other write fires the triggers as before.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 16:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from service.migrations import revision_triggers

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Every table with file-revision triggers so far (migrations 0004, 0005, 0006).
FILE_TABLES = (
    "accounts",
    "inquiries",
    "public_records",
    "consents",
    "freezes",
    "fraud_alerts",
    "disputes",
    "item_flags",
    "statements",
)

HEAD_TRIGGER = "trg_audit_events_move_chain_head"
HEAD_FUNCTION = "audit_events_move_chain_head"
REVISION_FUNCTION = "subjects_new_file_revision"

_UPSERT_HEAD = """
    INSERT INTO audit_chain_heads (chain, seq, hash) VALUES (NEW.chain, NEW.seq, NEW.hash)
    ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash
"""
_SQLITE_HEADS_NOT_DEFERRED = (
    "NOT EXISTS (SELECT 1 FROM row_trigger_deferrals WHERE name = 'audit_heads')"
)


def _pg_deferred(name: str) -> str:
    return (
        f"IF current_setting('clearfile.defer_{name}', true) = 'on' THEN RETURN NULL; END IF;"
    )


def _pg_revision_function(check: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {REVISION_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {check}
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


def _pg_head_function(check: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {HEAD_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {check} {_UPSERT_HEAD}; RETURN NULL; END $$"
    )


def upgrade() -> None:
    op.create_table(
        "row_trigger_deferrals",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_row_trigger_deferrals")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_pg_head_function(_pg_deferred("audit_heads")))
        op.execute(_pg_revision_function(_pg_deferred("file_revisions")))
        return
    op.execute(f"DROP TRIGGER {HEAD_TRIGGER}")
    op.execute(
        f"CREATE TRIGGER {HEAD_TRIGGER} AFTER INSERT ON audit_events "
        f"FOR EACH ROW WHEN {_SQLITE_HEADS_NOT_DEFERRED} BEGIN {_UPSERT_HEAD}; END"
    )
    revision_triggers.drop(FILE_TABLES)
    revision_triggers.create(FILE_TABLES, deferrable=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_pg_head_function(""))
        op.execute(_pg_revision_function(""))
    else:
        op.execute(f"DROP TRIGGER {HEAD_TRIGGER}")
        op.execute(
            f"CREATE TRIGGER {HEAD_TRIGGER} AFTER INSERT ON audit_events "
            f"FOR EACH ROW BEGIN {_UPSERT_HEAD}; END"
        )
        revision_triggers.drop(FILE_TABLES)
        revision_triggers.create(FILE_TABLES)
    op.drop_table("row_trigger_deferrals")
