"""disputes, the flags they put on items of the file, and statements

A subject's disputes, the flags they put on items (disputed, suppressed) and the subject's
statements change what the file shows, so a change to any of them replaces
``subjects.file_revision`` too, by the same triggers as migration 0004's item tables.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 13:55:40.420650
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from service.migrations import revision_triggers



revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The new tables whose rows are part of a subject's file (each has ``subject_id``).
FILE_TABLES = ("disputes", "item_flags", "statements")


def upgrade() -> None:
    op.create_table('disputes',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('item_type', sa.String(length=16), nullable=False),
    sa.Column('item_id', sa.String(length=40), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=True),
    sa.Column('reason_code', sa.String(length=24), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('furnisher_id', sa.String(length=40), nullable=True),
    sa.Column('account_ref', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('block_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('information', sa.JSON(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('repeats', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['furnisher_id'], ['principals.id'], name=op.f('fk_disputes_furnisher_id_principals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_disputes_subject_id_subjects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes'))
    )
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.create_index('ix_disputes_furnisher_id_status', ['furnisher_id', 'status'], unique=False)
        batch_op.create_index('ix_disputes_open_due_at', ['due_at'], unique=False, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.create_index('ix_disputes_subject_id_filed_at', ['subject_id', 'filed_at'], unique=False)

    op.create_table('item_flags',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('item_type', sa.String(length=16), nullable=False),
    sa.Column('item_id', sa.String(length=40), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('dispute_id', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=24), nullable=True),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('certification', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_item_flags_dispute_id_disputes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_item_flags_subject_id_subjects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_flags'))
    )
    with op.batch_alter_table('item_flags', schema=None) as batch_op:
        batch_op.create_index('ix_item_flags_subject_id', ['subject_id'], unique=False)

    op.create_table('statements',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('dispute_id', sa.String(length=40), nullable=False),
    sa.Column('item_type', sa.String(length=16), nullable=False),
    sa.Column('item_id', sa.String(length=40), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_statements_dispute_id_disputes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_statements_subject_id_subjects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statements')),
    sa.UniqueConstraint('dispute_id', name=op.f('uq_statements_dispute_id'))
    )
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.create_index('ix_statements_subject_id', ['subject_id'], unique=False)

    revision_triggers.create(FILE_TABLES)



def downgrade() -> None:
    revision_triggers.drop(FILE_TABLES)
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.drop_index('ix_statements_subject_id')

    op.drop_table('statements')
    with op.batch_alter_table('item_flags', schema=None) as batch_op:
        batch_op.drop_index('ix_item_flags_subject_id')

    op.drop_table('item_flags')
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.drop_index('ix_disputes_subject_id_filed_at')
        batch_op.drop_index('ix_disputes_open_due_at', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index('ix_disputes_furnisher_id_status')

    op.drop_table('disputes')
