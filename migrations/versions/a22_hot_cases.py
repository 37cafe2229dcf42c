"""Hot cases: files a governorate's coalition follows, their decisions and reviews (issue 18, part 5)

Revision ID: a22_hot_cases
Revises: a21_observatory
Create Date: 2026-12-04 05:51:47.691038

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a22_hot_cases'
down_revision = 'a21_observatory'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('hot_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('referral_id', sa.Uuid(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=24), nullable=False),
    sa.Column('comment_ct', sa.LargeBinary(), nullable=True),
    sa.Column('flagged_by_id', sa.Integer(), nullable=False),
    sa.Column('flagged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('review_every_days', sa.Integer(), nullable=False),
    sa.Column('next_review_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("reason IN ('high_risk', 'repeated_violence', 'service_failure')", name=op.f('ck_hot_cases_reason_known')),
    sa.CheckConstraint('review_every_days BETWEEN 1 AND 90', name=op.f('ck_hot_cases_review_interval_range')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_hot_cases_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_hot_cases_closed_by_id_users')),
    sa.ForeignKeyConstraint(['flagged_by_id'], ['users.id'], name=op.f('fk_hot_cases_flagged_by_id_users')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_hot_cases_referral_id_referrals'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_hot_cases_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hot_cases'))
    )
    with op.batch_alter_table('hot_cases', schema=None) as batch_op:
        batch_op.create_index('ix_hot_cases_open_region', ['region_id', 'next_review_at'], unique=False, sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))
        batch_op.create_index('ix_hot_cases_to_remind', ['next_review_at'], unique=False, sqlite_where=sa.text('closed_at IS NULL AND reminded_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL AND reminded_at IS NULL'))
        batch_op.create_index('uq_hot_cases_open_case', ['case_id'], unique=True, sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))

    op.create_table('hot_case_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hot_case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('text_ct', sa.LargeBinary(), nullable=True),
    sa.Column('next_review_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('follow_up', 'review', 'close')", name=op.f('ck_hot_case_decisions_kind_known')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_hot_case_decisions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['hot_case_id'], ['hot_cases.id'], name=op.f('fk_hot_case_decisions_hot_case_id_hot_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hot_case_decisions'))
    )
    with op.batch_alter_table('hot_case_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hot_case_decisions_hot_case_id'), ['hot_case_id'], unique=False)



def downgrade():
    with op.batch_alter_table('hot_case_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hot_case_decisions_hot_case_id'))

    op.drop_table('hot_case_decisions')
    with op.batch_alter_table('hot_cases', schema=None) as batch_op:
        batch_op.drop_index('uq_hot_cases_open_case', sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))
        batch_op.drop_index('ix_hot_cases_to_remind', sqlite_where=sa.text('closed_at IS NULL AND reminded_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL AND reminded_at IS NULL'))
        batch_op.drop_index('ix_hot_cases_open_region', sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))

    op.drop_table('hot_cases')
