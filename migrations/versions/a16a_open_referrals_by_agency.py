"""An agency's open referrals by due time: the home page's counts from the index alone (issue 16, part 1)

On stock PostgreSQL settings (random_page_cost 4) the open and overdue counts of an agency's home page
walked every open referral of the network through another partial index (135 ms at 50,000 files,
growing with the network); with this one they are index-only scans of that agency's rows (0.2 ms).

Revision ID: a16a_open_referrals_by_agency
Revises: a20e_partner_links
Create Date: 2026-12-04 02:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a16a_open_referrals_by_agency'
down_revision = 'a20e_partner_links'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_referrals_open_to_agency', 'referrals', ['to_agency_id', 'next_due_at'], unique=False,
                    sqlite_where=sa.text('is_open'), postgresql_where=sa.text('is_open'),
                    postgresql_include=['status'])


def downgrade():
    op.drop_index('ix_referrals_open_to_agency', table_name='referrals', sqlite_where=sa.text('is_open'),
                  postgresql_where=sa.text('is_open'), postgresql_include=['status'])
