"""Readiness probes: the table a readiness check writes to prove the database accepts writes

Revision ID: e22_readiness
Revises: b14b_audit_tables_guarded
Create Date: 2026-12-03 07:45:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e22_readiness'
down_revision = 'b14b_audit_tables_guarded'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('readiness_probes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('probed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readiness_probes'))
    )


def downgrade():
    op.drop_table('readiness_probes')
