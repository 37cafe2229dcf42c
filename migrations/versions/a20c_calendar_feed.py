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
    # Columns and a unique index, all in place: SQLite's batch copy of `users` would fail on the
    # rows that point to it.
    op.add_column('users', sa.Column('calendar_feed_hash', sa.String(length=64), nullable=True))
    op.add_column('users', sa.Column('calendar_feed_used_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_users_calendar_feed_hash', 'users', ['calendar_feed_hash'], unique=True)


def downgrade():
    op.drop_index('ix_users_calendar_feed_hash', table_name='users')
    op.execute('ALTER TABLE users DROP COLUMN calendar_feed_used_at')
    op.execute('ALTER TABLE users DROP COLUMN calendar_feed_hash')
