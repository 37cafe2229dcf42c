"""The case plan's goals, and the services she received recorded at closure (issue 20, parts 1 and 6)

Revision ID: a20b_case_plan
Revises: a19b_languages_accessibility
Create Date: 2026-12-03 23:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a20b_case_plan'
down_revision = 'a19b_languages_accessibility'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'case_goals',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('area', sa.String(length=16), nullable=False),
        sa.Column('goal_ct', sa.LargeBinary(), nullable=False),
        sa.Column('actions_ct', sa.LargeBinary(), nullable=True),
        sa.Column('by_whom', sa.String(length=12), nullable=False),
        sa.Column('referral_id', sa.Uuid(), nullable=True),
        sa.Column('target_on', sa.Date(), nullable=True),
        sa.Column('status', sa.String(length=10), server_default='open', nullable=False),
        sa.Column('closing_note_ct', sa.LargeBinary(), nullable=True),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("area IN ('safety', 'health', 'legal', 'shelter', 'economic', 'psychosocial')",
                           name=op.f('ck_case_goals_area_known')),
        sa.CheckConstraint("by_whom IN ('association', 'referral')", name=op.f('ck_case_goals_by_whom_known')),
        sa.CheckConstraint("status IN ('open', 'achieved', 'dropped')", name=op.f('ck_case_goals_status_known')),
        sa.CheckConstraint("by_whom = 'association' OR referral_id IS NOT NULL",
                           name=op.f('ck_case_goals_referral_named')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_goals_case_id_cases'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_case_goals_created_by_id_users')),
        sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_case_goals_referral_id_referrals'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_goals')),
    )
    with op.batch_alter_table('case_goals', schema=None) as batch_op:
        batch_op.create_index('ix_case_goals_case_status', ['case_id', 'status'], unique=False)
    op.add_column('cases', sa.Column('services_received', sa.JSON(), nullable=True))


def downgrade():
    # In place on SQLite too: a batch copy of `cases` would fail on the rows that point to it.
    op.execute('ALTER TABLE cases DROP COLUMN services_received')
    op.drop_table('case_goals')
