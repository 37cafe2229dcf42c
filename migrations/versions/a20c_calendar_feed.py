"""A caseworker's calendar feed of her follow-ups: the hash of its secret address (issue 20, part 2)

Revision ID: a20c_calendar_feed
Revises: a20b_case_plan
Create Date: 2026-12-04 00:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a20c_calendar_feed'
down_revision = 'a20b_case_plan'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_feed_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('calendar_feed_used_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_calendar_feed_hash'), ['calendar_feed_hash'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_calendar_feed_hash'), type_='unique')
        batch_op.drop_column('calendar_feed_used_at')
        batch_op.drop_column('calendar_feed_hash')
