"""PostgreSQL: checkpoints and chain head guarded like the events; the app's role may only add

The app runs as a role that does not own the tables (README, "Deploying"): it cannot alter or
disable a trigger, which needs ownership. Here the owner (who runs the migrations) takes UPDATE,
DELETE, TRUNCATE and TRIGGER on the audit tables back from every other role, so the app may only
INSERT and SELECT on them; on the chain head it keeps UPDATE, which a trigger lets move forward
only. Triggers also refuse UPDATE, DELETE and TRUNCATE of checkpoints, as they do for events.
Nothing changes on SQLite (one file, one user: the outside checkpoints are its protection).

Revision ID: b14b_audit_tables_guarded
Revises: b14a_keyed_audit_chain
Create Date: 2026-12-03 07:40:00

"""
from alembic import op
from sqlalchemy import text

# revision identifiers, used by Alembic.
revision = 'b14b_audit_tables_guarded'
down_revision = 'b14a_keyed_audit_chain'
branch_labels = None
depends_on = None

GUARD_FUNCTION = """
CREATE OR REPLACE FUNCTION masar_audit_guard() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql
"""

HEAD_FUNCTION = """
CREATE OR REPLACE FUNCTION masar_audit_head_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR NEW.id <> OLD.id OR NEW.last_event_id < OLD.last_event_id THEN
        RAISE EXCEPTION 'audit_chain_head only moves forward: % refused', TG_OP;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""

TRIGGERS = (
    ("audit_checkpoints_append_only", "audit_checkpoints", "BEFORE UPDATE OR DELETE", "ROW", "masar_audit_guard"),
    ("audit_checkpoints_no_truncate", "audit_checkpoints", "BEFORE TRUNCATE", "STATEMENT", "masar_audit_guard"),
    ("audit_chain_head_forward_only", "audit_chain_head", "BEFORE UPDATE OR DELETE", "ROW",
     "masar_audit_head_forward_only"),
    ("audit_chain_head_no_truncate", "audit_chain_head", "BEFORE TRUNCATE", "STATEMENT", "masar_audit_guard"),
)

#: What no role but the owner keeps, per table.
REVOKED = {
    "audit_events": "UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES",
    "audit_checkpoints": "UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES",
    "audit_chain_head": "DELETE, TRUNCATE, TRIGGER, REFERENCES",
}


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(GUARD_FUNCTION)
    op.execute(HEAD_FUNCTION)
    for name, table, when, level, function in TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} {when} ON {table} FOR EACH {level} EXECUTE FUNCTION {function}()")
    for table, privileges in REVOKED.items():
        for grantee in _grantees(bind, table):
            op.execute(f"REVOKE {privileges} ON {table} FROM {grantee}")


def _grantees(bind, table: str) -> list[str]:
    """Every role (and PUBLIC) holding a privilege on `table` other than its owner, quoted."""
    rows = bind.execute(text(
        "SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END "
        "FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee "
        "WHERE c.oid = CAST(:table AS regclass) AND a.grantee <> c.relowner"), {"table": table}).scalars().all()
    return sorted(rows)


def downgrade():
    # Privileges taken back are not granted again: the deployment's grants decide (README).
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, *_ in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS masar_audit_head_forward_only()")
    op.execute("DROP FUNCTION IF EXISTS masar_audit_guard()")
