"""Follow-ups and appointments on a file (issue 20, part 2)

Revision ID: a20_case_tasks
Revises: a16_breaches_awaiting_escalation
Create Date: 2026-12-03 18:25:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a20_case_tasks'
down_revision = 'a16_breaches_awaiting_escalation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'case_tasks',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('assignee_id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('note_ct', sa.LargeBinary(), nullable=True),
        sa.Column('status', sa.String(length=16), server_default='open', nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_by_id', sa.Integer(), nullable=True),
        sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('call_back', 'accompany', 'appointment', 'review_risk', 'other')",
                           name=op.f('ck_case_tasks_kind_known')),
        sa.CheckConstraint("status IN ('open', 'done', 'cancelled')", name=op.f('ck_case_tasks_status_known')),
        sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_case_tasks_assignee_id_users')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_tasks_case_id_cases'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_case_tasks_closed_by_id_users')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_case_tasks_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_tasks')),
    )
    with op.batch_alter_table('case_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_case_tasks_case_due', ['case_id', 'due_at'], unique=False)
        batch_op.create_index('ix_case_tasks_open_assignee', ['assignee_id', 'due_at'], unique=False,
                              sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.create_index('ix_case_tasks_to_remind', ['due_at'], unique=False,
                              sqlite_where=sa.text("status = 'open' AND reminded_at IS NULL"),
                              postgresql_where=sa.text("status = 'open' AND reminded_at IS NULL"))


def downgrade():
    op.drop_table('case_tasks')
