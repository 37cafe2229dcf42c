"""Shelter places, stays under the Himaya protocol (essential services seeded), extensions, dues

Revision ID: a19_shelter_stays
Revises: a17_public_reports
Create Date: 2026-12-03 10:57:48.092277

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a19_shelter_stays'
down_revision = 'a17_public_reports'
branch_labels = None
depends_on = None

#: The Himaya protocol's essential services: (code, ar, fr, en, due within days of admission, for children).
ESSENTIAL_SERVICES = [
    ("reception_listening", "الاستقبال والإنصات", "Accueil et écoute", "Reception and listening", 1, False),
    ("safety_plan", "خطة السلامة", "Plan de sécurité", "Safety plan", 2, False),
    ("health_care", "الرعاية الصحية", "Soins de santé", "Health care", 7, False),
    ("psychological_support", "الدعم النفسي", "Soutien psychologique", "Psychological support", 7, False),
    ("legal_guidance", "التوجيه القانوني", "Orientation juridique", "Legal guidance", 14, False),
    ("children_schooling", "تمدرس الأطفال", "Scolarisation des enfants", "Children's schooling", 30, True),
    ("economic_empowerment", "التمكين الاقتصادي", "Autonomisation économique", "Economic empowerment", 60, False),
    ("exit_preparation", "التحضير للخروج", "Préparation de la sortie", "Preparation of exit", None, False),
]


def essential_rows():
    return [{"code": code, "name_ar": ar, "name_fr": fr, "name_en": en, "due_within_days": days,
             "for_children": children, "position": position, "active": True}
            for position, (code, ar, fr, en, days, children) in enumerate(ESSENTIAL_SERVICES)]


def upgrade():
    essential = op.create_table('essential_services',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_ar', sa.String(length=200), nullable=False),
    sa.Column('name_fr', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('due_within_days', sa.Integer(), nullable=True),
    sa.Column('for_children', sa.Boolean(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_essential_services'))
    )
    op.bulk_insert(essential, essential_rows())
    op.create_table('shelter_capacities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('beds', sa.Integer(), nullable=False),
    sa.Column('child_places', sa.Integer(), nullable=False),
    sa.Column('accessible_rooms', sa.Integer(), nullable=False),
    sa.Column('beds_used', sa.Integer(), nullable=False),
    sa.Column('child_places_used', sa.Integer(), nullable=False),
    sa.Column('accessible_used', sa.Integer(), nullable=False),
    sa.Column('max_stay_days', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('accessible_used >= 0 AND accessible_used <= accessible_rooms', name=op.f('ck_shelter_capacities_accessible')),
    sa.CheckConstraint('beds_used >= 0 AND beds_used <= beds', name=op.f('ck_shelter_capacities_beds')),
    sa.CheckConstraint('child_places_used >= 0 AND child_places_used <= child_places', name=op.f('ck_shelter_capacities_child_places')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_shelter_capacities_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shelter_capacities')),
    sa.UniqueConstraint('service_id', name=op.f('uq_shelter_capacities_service_id'))
    )
    op.create_table('stays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('in_shelter', 'exited', name='stay_status', native_enum=False, create_constraint=True, length=18), nullable=False),
    sa.Column('admitted_on', sa.Date(), nullable=False),
    sa.Column('children', sa.SmallInteger(), nullable=False),
    sa.Column('accessible_room', sa.Boolean(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('admitted_by_id', sa.Integer(), nullable=True),
    sa.Column('exited_on', sa.Date(), nullable=True),
    sa.Column('exit_destination', sa.Enum('own_home', 'family', 'independent_housing', 'another_shelter', 'returned_to_partner', 'unknown', name='exit_destination', native_enum=False, create_constraint=True, length=27), nullable=True),
    sa.Column('exit_outcome', sa.Enum('goals_met', 'partly_met', 'left_early', 'transferred', name='exit_outcome', native_enum=False, create_constraint=True, length=19), nullable=True),
    sa.Column('exited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('children >= 0', name=op.f('ck_stays_children')),
    sa.ForeignKeyConstraint(['admitted_by_id'], ['users.id'], name=op.f('fk_stays_admitted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_stays_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_stays_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['exited_by_id'], ['users.id'], name=op.f('fk_stays_exited_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_stays_referral_id_referrals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_stays_service_id_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stays')),
    sa.UniqueConstraint('referral_id', name=op.f('uq_stays_referral_id'))
    )
    with op.batch_alter_table('stays', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stays_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stays_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_stays_service_status', ['service_id', 'status'], unique=False)

    op.create_table('stay_extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stay_id', sa.Integer(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'refused', 'cancelled', 'expired', name='stay_extension_status', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('days > 0', name=op.f('ck_stay_extensions_days')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_stay_extensions_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_stay_extensions_requested_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['stay_id'], ['stays.id'], name=op.f('fk_stay_extensions_stay_id_stays'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stay_extensions'))
    )
    with op.batch_alter_table('stay_extensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stay_extensions_stay_id'), ['stay_id'], unique=False)
        batch_op.create_index('uq_stay_extensions_pending', ['stay_id'], unique=True, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))

    op.create_table('stay_service_dues',
    sa.Column('stay_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('alerted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['code'], ['essential_services.code'], name=op.f('fk_stay_service_dues_code_essential_services')),
    sa.ForeignKeyConstraint(['stay_id'], ['stays.id'], name=op.f('fk_stay_service_dues_stay_id_stays'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('stay_id', 'code', name=op.f('pk_stay_service_dues'))
    )
    with op.batch_alter_table('stay_service_dues', schema=None) as batch_op:
        batch_op.create_index('ix_stay_service_dues_open', ['due_on'], unique=False, sqlite_where=sa.text('done_on IS NULL AND alerted_at IS NULL'), postgresql_where=sa.text('done_on IS NULL AND alerted_at IS NULL'))

    op.create_table('stay_services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stay_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('given_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['code'], ['essential_services.code'], name=op.f('fk_stay_services_code_essential_services')),
    sa.ForeignKeyConstraint(['given_by_id'], ['users.id'], name=op.f('fk_stay_services_given_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['stay_id'], ['stays.id'], name=op.f('fk_stay_services_stay_id_stays'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stay_services'))
    )
    with op.batch_alter_table('stay_services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stay_services_stay_id'), ['stay_id'], unique=False)



def downgrade():
    with op.batch_alter_table('stay_services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stay_services_stay_id'))

    op.drop_table('stay_services')
    with op.batch_alter_table('stay_service_dues', schema=None) as batch_op:
        batch_op.drop_index('ix_stay_service_dues_open', sqlite_where=sa.text('done_on IS NULL AND alerted_at IS NULL'), postgresql_where=sa.text('done_on IS NULL AND alerted_at IS NULL'))

    op.drop_table('stay_service_dues')
    with op.batch_alter_table('stay_extensions', schema=None) as batch_op:
        batch_op.drop_index('uq_stay_extensions_pending', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index(batch_op.f('ix_stay_extensions_stay_id'))

    op.drop_table('stay_extensions')
    with op.batch_alter_table('stays', schema=None) as batch_op:
        batch_op.drop_index('ix_stays_service_status')
        batch_op.drop_index(batch_op.f('ix_stays_case_id'))
        batch_op.drop_index(batch_op.f('ix_stays_agency_id'))

    op.drop_table('stays')
    op.drop_table('shelter_capacities')
    op.drop_table('essential_services')
