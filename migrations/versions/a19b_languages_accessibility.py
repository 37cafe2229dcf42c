"""The directory says which languages a service speaks and how accessible an agency is (issue 19, part 4)

Revision ID: a19b_languages_accessibility
Revises: a17_awareness_library
Create Date: 2026-12-03 23:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a19b_languages_accessibility'
down_revision = 'a17_awareness_library'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'service_languages',
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_service_languages_service_id_services'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('service_id', 'language', name=op.f('pk_service_languages')),
    )
    with op.batch_alter_table('service_languages', schema=None) as batch_op:
        batch_op.create_index('ix_service_languages_language', ['language'], unique=False)
    for column in ('step_free_access', 'accessible_toilet', 'sign_language'):
        op.add_column('agencies', sa.Column(column, sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    # SQLite drops a column in place: a batch copy of `agencies` would fail on the rows that point to it.
    for column in ('sign_language', 'accessible_toilet', 'step_free_access'):
        op.execute(f'ALTER TABLE agencies DROP COLUMN {column}')
    op.drop_table('service_languages')
