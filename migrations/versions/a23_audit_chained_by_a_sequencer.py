"""The access log chained by a sequencer: requests insert sealed events, no request locks the head

Requests used to lock the single chain head row from their append to the end of their COMMIT, so
every audited request in the network queued on it (issue 16, part 4). Now a request inserts its
events with ids from a sequence and a seal (a keyed hash of each one's content); the sequencer
links them into the chain later, setting chain_position, prev_hash and hash once.

- audit_events: ``seal`` and ``chain_position`` are added; events already chained keep their hash
  and get their id as their position (ids were positions until now); prev_hash and hash may be
  null while an event waits. PostgreSQL: ids come from ``audit_events_id_seq``.
- The append-only trigger lets an UPDATE through only when it chains a waiting event: it sets
  chain_position, prev_hash and hash where they were null and changes nothing else. The app's role
  gets UPDATE on those three columns only (and USAGE of the sequence), where it could INSERT.
- audit_chain_head.last_event_id is now last_position.

Revision ID: a23_audit_chained_by_a_sequencer
Revises: a22_hot_cases
Create Date: 2026-12-04 09:00:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

# revision identifiers, used by Alembic.
revision = 'a23_audit_chained_by_a_sequencer'
down_revision = 'a22_hot_cases'
branch_labels = None
depends_on = None

CHAIN_COLUMNS = ("chain_position", "prev_hash", "hash")

APPEND_ONLY_OR_CHAINING = """
CREATE OR REPLACE FUNCTION masar_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.chain_position IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL
            AND NEW.chain_position IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
            AND to_jsonb(NEW) - 'chain_position' - 'prev_hash' - 'hash'
                = to_jsonb(OLD) - 'chain_position' - 'prev_hash' - 'hash' THEN
        RETURN NEW;  -- the sequencer links a waiting event, once
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION masar_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""


def _head_function(column: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION masar_audit_head_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR NEW.id <> OLD.id OR NEW.{column} < OLD.{column} THEN
        RAISE EXCEPTION 'audit_chain_head only moves forward: % refused', TG_OP;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""


def _inserting_roles(bind) -> list[str]:
    """Every role (and PUBLIC) other than the owner that may INSERT into audit_events, quoted."""
    return sorted(bind.execute(text(
        "SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END "
        "FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee "
        "WHERE c.oid = 'audit_events'::regclass AND a.grantee <> c.relowner AND a.privilege_type = 'INSERT'"
    )).scalars().all())


def upgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seal', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('chain_position', sa.BigInteger(), nullable=True))
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=True)
    if postgresql:
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
    op.execute("UPDATE audit_events SET chain_position = id")
    if postgresql:
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_chain_position', ['chain_position'], unique=True,
                              postgresql_where=sa.text('chain_position IS NOT NULL'),
                              sqlite_where=sa.text('chain_position IS NOT NULL'))
        batch_op.create_index('ix_audit_events_unchained', ['id'], unique=False,
                              postgresql_where=sa.text('chain_position IS NULL'),
                              sqlite_where=sa.text('chain_position IS NULL'))
    with op.batch_alter_table('audit_chain_head', schema=None) as batch_op:
        batch_op.alter_column('last_event_id', new_column_name='last_position', existing_type=sa.BigInteger(),
                              existing_nullable=False)
    if not postgresql:
        return
    op.execute("CREATE SEQUENCE audit_events_id_seq AS bigint OWNED BY audit_events.id")
    # The next id follows the last event's (an empty log starts at 1, as the sequence does).
    op.execute("SELECT setval('audit_events_id_seq', max(id)) FROM audit_events HAVING max(id) IS NOT NULL")
    op.execute(APPEND_ONLY_OR_CHAINING)
    op.execute(_head_function("last_position"))
    columns = ", ".join(CHAIN_COLUMNS)
    for role in _inserting_roles(bind):
        op.execute(f"GRANT UPDATE ({columns}) ON audit_events TO {role}")
        op.execute(f"GRANT USAGE ON SEQUENCE audit_events_id_seq TO {role}")


def downgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    # A chain whose ids are not its positions cannot go back: refuse rather than lose events.
    unchained_or_reordered = bind.execute(text(
        "SELECT count(*) FROM audit_events WHERE chain_position IS NULL OR chain_position <> id")).scalar()
    if unchained_or_reordered:
        raise RuntimeError(f"{unchained_or_reordered} audit events are unchained or not at their id's "
                           "position: the log cannot go back to a chain ordered by id (events waiting "
                           "are linked by 'flask --app wsgi audit sign'; events linked out of id order "
                           "cannot be renumbered without breaking the signed chain)")
    if postgresql:
        columns = ", ".join(CHAIN_COLUMNS)
        for role in _inserting_roles(bind):
            op.execute(f"REVOKE UPDATE ({columns}) ON audit_events FROM {role}")
        op.execute("DROP SEQUENCE audit_events_id_seq")
        op.execute(APPEND_ONLY)
        op.execute("ALTER TABLE audit_chain_head DISABLE TRIGGER audit_chain_head_forward_only")
    with op.batch_alter_table('audit_chain_head', schema=None) as batch_op:
        batch_op.alter_column('last_position', new_column_name='last_event_id', existing_type=sa.BigInteger(),
                              existing_nullable=False)
    if postgresql:
        op.execute(_head_function("last_event_id"))
        op.execute("ALTER TABLE audit_chain_head ENABLE TRIGGER audit_chain_head_forward_only")
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_unchained', sqlite_where=sa.text('chain_position IS NULL'),
                            postgresql_where=sa.text('chain_position IS NULL'))
        batch_op.drop_index('ix_audit_events_chain_position', sqlite_where=sa.text('chain_position IS NOT NULL'),
                            postgresql_where=sa.text('chain_position IS NOT NULL'))
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column('chain_position')
        batch_op.drop_column('seal')
