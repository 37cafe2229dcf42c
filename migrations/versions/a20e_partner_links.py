"""Partners outside Masar: agencies without accounts, and the one-time links that answer a referral (issue 20, part 5)

Revision ID: a20e_partner_links
Revises: a20d_casework_approvals
Create Date: 2026-12-04 00:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a20e_partner_links'
down_revision = 'a20d_casework_approvals'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('agencies', sa.Column('external_partner', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        'partner_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('referral_id', sa.Uuid(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('used_actions', sa.JSON(), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_partner_links_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_partner_links_referral_id_referrals'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_partner_links_token_hash')),
    )
    with op.batch_alter_table('partner_links', schema=None) as batch_op:
        batch_op.create_index('ix_partner_links_referral_id', ['referral_id'], unique=False)
        batch_op.create_index('uq_partner_links_live', ['referral_id'], unique=True,
                              sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))


def downgrade():
    op.drop_table('partner_links')
    # In place on SQLite too: a batch copy of `agencies` would fail on the rows that point to it.
    op.execute('ALTER TABLE agencies DROP COLUMN external_partner')
