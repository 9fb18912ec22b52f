"""purge date indexes: the obsolescence purge finds what is due by range, not by a scan

The purge (``service.file.service.purge_obsolete``) runs at every clock move and asks for
the adverse accounts whose date of first delinquency is before a cutoff and the inquiries
made before a moment. Without an index on those dates each question read every account and
every inquiry (432,000 and 211,000 rows in bench_disputes' population), inside the clock
move's write transaction, for the few hundred items, or none, that are due.

The accounts' index is partial: only an adverse account has a date of first delinquency
(about one in eight), and a comparison on the date implies it is not null, so both
databases use it for the purge's question.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ADVERSE = sa.text("date_of_first_delinquency IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_accounts_date_of_first_delinquency",
        "accounts",
        ["date_of_first_delinquency"],
        sqlite_where=_ADVERSE,
        postgresql_where=_ADVERSE,
    )
    op.create_index("ix_inquiries_at", "inquiries", ["at"])


def downgrade() -> None:
    op.drop_index("ix_inquiries_at", table_name="inquiries")
    op.drop_index("ix_accounts_date_of_first_delinquency", table_name="accounts")
