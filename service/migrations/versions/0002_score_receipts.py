"""score receipts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 15:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op



revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('score_receipts',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('model_version', sa.String(length=64), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('scored_on', sa.Date(), nullable=False),
    sa.Column('purpose', sa.String(length=64), nullable=False),
    sa.Column('requested_by', sa.String(length=40), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('characteristics', sa.JSON(), nullable=False),
    sa.Column('factors', sa.JSON(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('no_score_reasons', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_score_receipts_subject_id_subjects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_receipts'))
    )
    with op.batch_alter_table('score_receipts', schema=None) as batch_op:
        batch_op.create_index('ix_score_receipts_subject_id_computed_at', ['subject_id', 'computed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('score_receipts', schema=None) as batch_op:
        batch_op.drop_index('ix_score_receipts_subject_id_computed_at')

    op.drop_table('score_receipts')
