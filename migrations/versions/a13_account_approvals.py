"""Two-person rule on accounts: requests a lead of the agency approves, and the lead role

Revision ID: a13_account_approvals
Revises: e22_readiness
Create Date: 2026-12-03 10:09:32.875299

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a13_account_approvals'
down_revision = 'e22_readiness'
branch_labels = None
depends_on = None

ROLES = ('caseworker', 'officer', 'coordinator', 'auditor', 'admin')


def _role_check(roles):
    with op.batch_alter_table('user_roles', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint(op.f('ck_user_roles_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_user_roles_role'),
                                         sa.text("role IN (%s)" % ", ".join(f"'{r}'" for r in roles)))


def upgrade():
    _role_check(ROLES + ('lead',))
    op.create_table('account_approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('create', 'enable', 'reset_password', 'reset_second_factor', 'grant_lead', name='account_change', native_enum=False, create_constraint=True, length=27), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'refused', 'cancelled', 'expired', name='approval_status', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_account_approvals_agency_id_agencies')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_account_approvals_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_account_approvals_requested_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_approvals_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_approvals'))
    )
    with op.batch_alter_table('account_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_approvals_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_approvals_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_account_approvals_pending', ['user_id', 'kind'], unique=True, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))


def downgrade():
    with op.batch_alter_table('account_approvals', schema=None) as batch_op:
        batch_op.drop_index('uq_account_approvals_pending', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index(batch_op.f('ix_account_approvals_user_id'))
        batch_op.drop_index(batch_op.f('ix_account_approvals_agency_id'))

    op.drop_table('account_approvals')
    op.execute("DELETE FROM user_roles WHERE role = 'lead'")
    _role_check(ROLES)
