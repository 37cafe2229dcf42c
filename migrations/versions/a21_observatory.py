"""The observatory: consent for reporting on each file, and the versioned indicator sets of the
unified form (issue 18, parts 1 and 3)

Revision ID: a21_observatory
Revises: a16a_open_referrals_by_agency
Create Date: 2026-12-04 03:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a21_observatory'
down_revision = 'a16a_open_referrals_by_agency'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable: existing files were never asked, and "not asked" does not count in the statistics.
    # A column-level CHECK, in one statement both databases run (SQLite cannot add a table constraint
    # in place, and a batch copy of `cases` would fail on the rows that point to it).
    op.execute("ALTER TABLE cases ADD COLUMN statistics_consent VARCHAR(11) "
               "CONSTRAINT ck_cases_statistics_consent CHECK (statistics_consent IN ('yes', 'no'))")
    op.create_table(
        'observatory_indicator_sets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_observatory_indicator_sets_created_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_observatory_indicator_sets')),
        sa.UniqueConstraint('version', name=op.f('uq_observatory_indicator_sets_version')),
    )
    op.create_table(
        'observatory_indicators',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('set_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('label_ar', sa.String(length=200), nullable=False),
        sa.Column('label_fr', sa.String(length=200), nullable=False),
        sa.Column('label_en', sa.String(length=200), nullable=False),
        sa.Column('values', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['set_id'], ['observatory_indicator_sets.id'],
                                name=op.f('fk_observatory_indicators_set_id_observatory_indicator_sets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_observatory_indicators')),
        sa.UniqueConstraint('set_id', 'key', name='uq_observatory_indicators_set_key'),
    )


def downgrade():
    op.drop_table('observatory_indicators')
    op.drop_table('observatory_indicator_sets')
    # In place on SQLite too: a batch copy of `cases` would fail on the rows that point to it.
    op.execute('ALTER TABLE cases DROP COLUMN statistics_consent')
