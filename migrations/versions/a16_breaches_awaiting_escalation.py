"""Breaches awaiting escalation: a partial index, so the sweep reads only what it escalates next

The escalation step read every unresolved breach breached before the cutoff, already escalated or
not (14.8k rows at 50k files, 55.8k at 200k, growing with history: issue 16); this index holds only
the unresolved breaches not yet escalated, in breach order. It replaces ix_breaches_open, which
served that query alone (breaches are resolved by their timer's unique key).

Revision ID: a16_breaches_awaiting_escalation
Revises: a19_shelter_stays
Create Date: 2026-12-03 18:05:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a16_breaches_awaiting_escalation'
down_revision = 'a19_shelter_stays'
branch_labels = None
depends_on = None

WHERE = "resolved_at IS NULL AND escalated_at IS NULL"


def upgrade():
    with op.batch_alter_table('breaches', schema=None) as batch_op:
        batch_op.create_index('ix_breaches_awaiting_escalation', ['breached_at'], unique=False,
                              sqlite_where=sa.text(WHERE), postgresql_where=sa.text(WHERE))
        batch_op.drop_index('ix_breaches_open')


def downgrade():
    with op.batch_alter_table('breaches', schema=None) as batch_op:
        batch_op.create_index('ix_breaches_open', ['resolved_at', 'breached_at'], unique=False)
        batch_op.drop_index('ix_breaches_awaiting_escalation', sqlite_where=sa.text(WHERE),
                            postgresql_where=sa.text(WHERE))
