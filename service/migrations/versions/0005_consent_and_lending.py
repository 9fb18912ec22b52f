"""consents, freezes, fraud alerts, lender scores, decisions, notices

Consents, freezes and fraud alerts are part of the subject's file (the report shows them), so
a change to any of them replaces ``subjects.file_revision`` too, by the same triggers as
migration 0004's item tables.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 13:19:50.978439
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from service.migrations import revision_triggers



revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The new tables whose rows are part of a subject's file (each has ``subject_id``).
FILE_TABLES = ("consents", "freezes", "fraud_alerts")


def upgrade() -> None:
    op.create_table('consents',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('lender_id', sa.String(length=40), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('scope', sa.JSON(), nullable=False),
    sa.Column('explicit_confirmation', sa.Boolean(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['lender_id'], ['principals.id'], name=op.f('fk_consents_lender_id_principals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_consents_subject_id_subjects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_lender_id'), ['lender_id'], unique=False)
        batch_op.create_index('ix_consents_subject_id_granted_at', ['subject_id', 'granted_at'], unique=False)

    op.create_table('fraud_alerts',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_fraud_alerts_subject_id_subjects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fraud_alerts'))
    )
    with op.batch_alter_table('fraud_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fraud_alerts_subject_id'), ['subject_id'], unique=False)

    op.create_table('freezes',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_freezes_subject_id_subjects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_freezes'))
    )
    with op.batch_alter_table('freezes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_freezes_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index('uq_freezes_subject_id_in_force', ['subject_id'], unique=True, sqlite_where=sa.text('lifted_at IS NULL'), postgresql_where=sa.text('lifted_at IS NULL'))

    op.create_table('notices',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_notices_subject_id_subjects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index('ix_notices_subject_id_at', ['subject_id', 'at'], unique=False)

    op.create_table('lender_scores',
    sa.Column('receipt_id', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('lender_id', sa.String(length=40), nullable=False),
    sa.Column('consent_id', sa.String(length=40), nullable=False),
    sa.Column('inquiry_id', sa.String(length=40), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consent_id'], ['consents.id'], name=op.f('fk_lender_scores_consent_id_consents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lender_id'], ['principals.id'], name=op.f('fk_lender_scores_lender_id_principals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['receipt_id'], ['score_receipts.id'], name=op.f('fk_lender_scores_receipt_id_score_receipts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_lender_scores_subject_id_subjects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('receipt_id', name=op.f('pk_lender_scores'))
    )
    with op.batch_alter_table('lender_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lender_scores_subject_id'), ['subject_id'], unique=False)

    op.create_table('lender_decisions',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('lender_id', sa.String(length=40), nullable=False),
    sa.Column('consent_id', sa.String(length=40), nullable=False),
    sa.Column('receipt_id', sa.String(length=40), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('notice_id', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['consent_id'], ['consents.id'], name=op.f('fk_lender_decisions_consent_id_consents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lender_id'], ['principals.id'], name=op.f('fk_lender_decisions_lender_id_principals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['receipt_id'], ['lender_scores.receipt_id'], name=op.f('fk_lender_decisions_receipt_id_lender_scores'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_lender_decisions_subject_id_subjects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lender_decisions')),
    sa.UniqueConstraint('receipt_id', name=op.f('uq_lender_decisions_receipt_id'))
    )
    with op.batch_alter_table('lender_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lender_decisions_subject_id'), ['subject_id'], unique=False)

    revision_triggers.create(FILE_TABLES)


def downgrade() -> None:
    revision_triggers.drop(FILE_TABLES)
    with op.batch_alter_table('lender_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lender_decisions_subject_id'))

    op.drop_table('lender_decisions')
    with op.batch_alter_table('lender_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lender_scores_subject_id'))

    op.drop_table('lender_scores')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_subject_id_at')

    op.drop_table('notices')
    with op.batch_alter_table('freezes', schema=None) as batch_op:
        batch_op.drop_index('uq_freezes_subject_id_in_force', sqlite_where=sa.text('lifted_at IS NULL'), postgresql_where=sa.text('lifted_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_freezes_subject_id'))

    op.drop_table('freezes')
    with op.batch_alter_table('fraud_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fraud_alerts_subject_id'))

    op.drop_table('fraud_alerts')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index('ix_consents_subject_id_granted_at')
        batch_op.drop_index(batch_op.f('ix_consents_lender_id'))

    op.drop_table('consents')
