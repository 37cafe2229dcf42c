"""Supervisor approvals of casework steps (closing a file, her plan, erasing it), per association (issue 20, part 3)

Revision ID: a20d_casework_approvals
Revises: a20c_calendar_feed
Create Date: 2026-12-04 00:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a20d_casework_approvals'
down_revision = 'a20c_calendar_feed'
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade():
    op.create_table(
        'casework_steps',
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('step', sa.String(length=16), nullable=False),
        sa.CheckConstraint("step IN ('case_close', 'case_plan', 'shred_request')", name=op.f('ck_casework_steps_step_known')),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_casework_steps_agency_id_agencies'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('agency_id', 'step', name=op.f('pk_casework_steps')),
    )
    op.create_table(
        'casework_approvals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('step', sa.String(length=16), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('request_comment_ct', sa.LargeBinary(), nullable=True),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.Enum('pending', 'approved', 'refused', 'cancelled', 'expired', name='approval_status',
                                    native_enum=False, create_constraint=True, length=17), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decision_comment_ct', sa.LargeBinary(), nullable=True),
        sa.Column('carried_out_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("step IN ('case_close', 'case_plan', 'shred_request')", name=op.f('ck_casework_approvals_step_known')),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_casework_approvals_agency_id_agencies')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_casework_approvals_case_id_cases'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_casework_approvals_decided_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'],
                                name=op.f('fk_casework_approvals_requested_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_casework_approvals')),
    )
    with op.batch_alter_table('casework_approvals', schema=None) as batch_op:
        batch_op.create_index('ix_casework_approvals_case_id', ['case_id'], unique=False)
        batch_op.create_index('uq_casework_approvals_pending', ['case_id', 'step'], unique=True,
                              sqlite_where=PENDING, postgresql_where=PENDING)
        batch_op.create_index('ix_casework_approvals_agency_pending', ['agency_id'], unique=False,
                              sqlite_where=PENDING, postgresql_where=PENDING)


def downgrade():
    op.drop_table('casework_approvals')
    op.drop_table('casework_steps')
