"""events: the writing transaction's id, so the feed never skips a late commit

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:00:00.000000

Events written before this revision get txid 0: they sort before every later one, among
themselves by seq, as the feed served them. Later ones get their transaction's id
(``service.events.models.current_txid``, spelled out here; 0 on SQLite). A feed cursor issued before (a bare
seq) still reads as (0, seq).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The rows there take 0 (a constant default fills them without a rewrite); then the
    # default becomes the writing transaction's id.
    op.add_column(
        "events",
        sa.Column("txid", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "events", "txid", server_default=sa.text("(pg_current_xact_id()::text::bigint)")
        )
    op.create_index("ix_events_recipient_txid_seq", "events", ["recipient_id", "txid", "seq"])
    op.drop_index("ix_events_recipient_seq", table_name="events")


def downgrade() -> None:
    op.create_index("ix_events_recipient_seq", "events", ["recipient_id", "seq"])
    op.drop_index("ix_events_recipient_txid_seq", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("txid")
