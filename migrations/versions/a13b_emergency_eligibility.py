"""Emergency eligibility: which kinds of agency and roles may ask for emergency access, set by the admin

Revision ID: a13b_emergency_eligibility
Revises: a13_account_approvals
Create Date: 2026-12-03 10:24:06

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a13b_emergency_eligibility'
down_revision = 'a13_account_approvals'
branch_labels = None
depends_on = None

CATEGORIES = ('medical', 'post_rape_care', 'legal', 'police_protection', 'prosecution', 'shelter', 'psychosocial',
              'social', 'economic')
ROLES = ('caseworker', 'officer', 'coordinator', 'auditor', 'admin', 'lead')
#: What the code allowed before the rules became data: agencies that answer emergencies, both roles.
DEFAULTS = [{'service_category': category, 'role': role}
            for category in ('shelter', 'medical', 'post_rape_care', 'police_protection')
            for role in ('caseworker', 'officer')]


def upgrade():
    table = op.create_table('emergency_eligibility',
    sa.Column('service_category', sa.Enum(*CATEGORIES, name='service_category', native_enum=False, create_constraint=True, length=25), nullable=False),
    sa.Column('role', sa.Enum(*ROLES, name='role', native_enum=False, create_constraint=True, length=19), nullable=False),
    sa.PrimaryKeyConstraint('service_category', 'role', name=op.f('pk_emergency_eligibility'))
    )
    op.bulk_insert(table, DEFAULTS)


def downgrade():
    op.drop_table('emergency_eligibility')
