"""Reports from the public: the report (contact and narrative encrypted), its own data key, messages

Revision ID: a17_public_reports
Revises: a13b_emergency_eligibility
Create Date: 2026-12-03 10:36:46.543813

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a17_public_reports'
down_revision = 'a13b_emergency_eligibility'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('public_reports',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('receipt_digest', sa.String(length=64), nullable=False),
    sa.Column('passphrase_hash', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('received', 'in_progress', 'passed_to_authority', 'closed', name='report_status', native_enum=False, create_constraint=True, length=27), nullable=False),
    sa.Column('outcome', sa.Enum('file_opened', 'anonymous_case', 'authority_alerted', 'not_actionable', 'duplicate', 'unreachable', name='report_outcome', native_enum=False, create_constraint=True, length=25), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('violence_type', sa.Enum('rape', 'sexual_assault', 'physical_assault', 'forced_marriage', 'denial_of_resources', 'psychological_abuse', name='violence_type', native_enum=False, create_constraint=True, length=27), nullable=False),
    sa.Column('incident_place', sa.Enum('home', 'public_space', 'workplace', 'school', 'online', 'other', name='incident_place', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('incident_date', sa.Date(), nullable=True),
    sa.Column('ongoing', sa.Boolean(), nullable=False),
    sa.Column('danger_now', sa.Boolean(), nullable=False),
    sa.Column('reporter_role', sa.Enum('concerned', 'witness', name='reporter_role', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('share_with_authority', sa.Boolean(), nullable=False),
    sa.Column('authority_may_contact', sa.Boolean(), nullable=False),
    sa.Column('contact_ct', sa.LargeBinary(), nullable=True),
    sa.Column('contact_instructions_ct', sa.LargeBinary(), nullable=True),
    sa.Column('narrative_ct', sa.LargeBinary(), nullable=True),
    sa.Column('claimed_agency_id', sa.Integer(), nullable=True),
    sa.Column('claimed_by_id', sa.Integer(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('case_id', sa.Uuid(), nullable=True),
    sa.Column('referral_id', sa.Uuid(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_public_reports_case_id_cases')),
    sa.ForeignKeyConstraint(['claimed_agency_id'], ['agencies.id'], name=op.f('fk_public_reports_claimed_agency_id_agencies')),
    sa.ForeignKeyConstraint(['claimed_by_id'], ['users.id'], name=op.f('fk_public_reports_claimed_by_id_users')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_public_reports_referral_id_referrals')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_public_reports_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_reports')),
    sa.UniqueConstraint('receipt_digest', name=op.f('uq_public_reports_receipt_digest')),
    sa.UniqueConstraint('reference', name=op.f('uq_public_reports_reference'))
    )
    with op.batch_alter_table('public_reports', schema=None) as batch_op:
        batch_op.create_index('ix_public_reports_queue', ['region_id', 'status', 'danger_now', 'created_at'], unique=False)

    op.create_table('public_report_keys',
    sa.Column('report_id', sa.Uuid(), nullable=False),
    sa.Column('master_key_id', sa.String(length=64), nullable=False),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['public_reports.id'], name=op.f('fk_public_report_keys_report_id_public_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', name=op.f('pk_public_report_keys'))
    )
    op.create_table('public_report_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('report_id', sa.Uuid(), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('author_user_id', sa.Integer(), nullable=True),
    sa.Column('body_ct', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['author_user_id'], ['users.id'], name=op.f('fk_public_report_messages_author_user_id_users')),
    sa.ForeignKeyConstraint(['report_id'], ['public_reports.id'], name=op.f('fk_public_report_messages_report_id_public_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_report_messages'))
    )
    with op.batch_alter_table('public_report_messages', schema=None) as batch_op:
        batch_op.create_index('ix_public_report_messages_report', ['report_id', 'created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('public_report_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_public_report_messages_report')

    op.drop_table('public_report_messages')
    op.drop_table('public_report_keys')
    with op.batch_alter_table('public_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_public_reports_queue')

    op.drop_table('public_reports')
