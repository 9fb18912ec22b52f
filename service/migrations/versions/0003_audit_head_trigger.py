"""audit chain head moved by the database

Every insert into audit_events moves its chain's head (audit_chain_heads) to it, in the
same statement, by a trigger: the head can no longer be left behind by any code path, and
appending an event costs one statement fewer (it is on every request's path).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 17:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGER = "trg_audit_events_move_chain_head"
FUNCTION = "audit_events_move_chain_head"

_UPSERT_HEAD = """
    INSERT INTO audit_chain_heads (chain, seq, hash) VALUES (NEW.chain, NEW.seq, NEW.hash)
    ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_UPSERT_HEAD}; RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {TRIGGER} AFTER INSERT ON audit_events "
            f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER {TRIGGER} AFTER INSERT ON audit_events "
            f"FOR EACH ROW BEGIN {_UPSERT_HEAD}; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {TRIGGER} ON audit_events")
        op.execute(f"DROP FUNCTION {FUNCTION}()")
    else:
        op.execute(f"DROP TRIGGER {TRIGGER}")
