"""The awareness library: public articles and documents (issue 17, part 4)

Revision ID: a17_awareness_library
Revises: a20_case_tasks
Create Date: 2026-12-03 23:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a17_awareness_library'
down_revision = 'a20_case_tasks'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'library_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=80), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('topic', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('summary', sa.String(length=500), nullable=True),
        sa.Column('body_markdown', sa.Text(), nullable=True),
        sa.Column('document', sa.LargeBinary(), nullable=True),
        sa.Column('document_name', sa.String(length=200), nullable=True),
        sa.Column('document_size', sa.Integer(), nullable=True),
        sa.Column('published', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("language IN ('ar', 'fr', 'en')", name=op.f('ck_library_items_language_known')),
        sa.CheckConstraint("topic IN ('rights', 'law', 'help', 'health', 'other')",
                           name=op.f('ck_library_items_topic_known')),
        sa.CheckConstraint("kind IN ('article', 'document')", name=op.f('ck_library_items_kind_known')),
        sa.CheckConstraint("(kind = 'article' AND body_markdown IS NOT NULL) OR "
                           "(kind = 'document' AND document IS NOT NULL)",
                           name=op.f('ck_library_items_content_present')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_library_items_created_by_id_users')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_library_items_updated_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_library_items')),
        sa.UniqueConstraint('slug', name=op.f('uq_library_items_slug')),
    )
    with op.batch_alter_table('library_items', schema=None) as batch_op:
        batch_op.create_index('ix_library_items_language_topic', ['language', 'topic', 'title'], unique=False)


def downgrade():
    op.drop_table('library_items')
