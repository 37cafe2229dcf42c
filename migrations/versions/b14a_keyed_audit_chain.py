"""Keyed audit chain: every event's hash becomes an HMAC under MASAR_AUDIT_CHAIN_KEY

The chain was plain SHA-256: whoever could write to the database could change an event and
recompute every later hash. The existing log is re-keyed here, after its plain chain was verified
(a log that does not verify is refused: re-keying it would launder the tampering); the checkpoints
signed with the current signing key are signed again over the new hashes (their time is kept),
those of older keys are left as they are (they are verified offline with their own public key).
It reads the keys from the app's configuration, so it runs where the app runs (`flask db upgrade`),
and it reads every event once: minutes for millions of events (a maintenance window).

Revision ID: b14a_keyed_audit_chain
Revises: 08ca08f5d2d3
Create Date: 2026-12-03 07:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b14a_keyed_audit_chain'
down_revision = '08ca08f5d2d3'
branch_labels = None
depends_on = None

BATCH = 5000
GENESIS = "0" * 64


def upgrade():
    _rehash(keyed=True)


def downgrade():
    _rehash(keyed=False)


def _rehash(keyed: bool) -> None:
    from referral.audit.chain import event_hash, legacy_event_hash
    from referral.security.keys import app_keys

    key = app_keys().audit_chain
    if keyed:
        def old_hash(row):
            return legacy_event_hash(row)

        def new_hash(row):
            return event_hash(row, key)
    else:
        def old_hash(row):
            return event_hash(row, key)

        def new_hash(row):
            return legacy_event_hash(row)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
    renamed = _rehash_events(bind, old_hash, new_hash)
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
    _resign_checkpoints(bind, renamed)


def _rehash_events(bind, old_hash, new_hash) -> dict[str, str]:
    """Verify the chain as it is and rewrite its hashes; old hash -> new hash of every event."""
    from referral.models import AuditEvent

    events = AuditEvent.__table__
    renamed = {GENESIS: GENESIS}
    expected_prev, expected_id, after = GENESIS, 1, 0
    while True:
        rows = [dict(row) for row in bind.execute(
            sa.select(events).where(events.c.id > after).order_by(events.c.id).limit(BATCH)).mappings()]
        if not rows:
            break
        updates = []
        for row in rows:
            if row["id"] != expected_id or row["prev_hash"] != expected_prev or old_hash(row) != row["hash"]:
                raise RuntimeError(f"the access log does not verify at event {expected_id}: it is not re-keyed "
                                   f"(that would hide the tampering); investigate with 'flask audit verify'")
            expected_prev, expected_id = row["hash"], expected_id + 1
            row["prev_hash"] = renamed[row["prev_hash"]]
            renamed[row["hash"]] = new_hash(row)
            updates.append({"event_id": row["id"], "new_prev": row["prev_hash"], "new_hash": renamed[row["hash"]]})
        bind.execute(events.update().where(events.c.id == sa.bindparam("event_id"))
                     .values(prev_hash=sa.bindparam("new_prev"), hash=sa.bindparam("new_hash")), updates)
        after = rows[-1]["id"]
    head = sa.table("audit_chain_head", sa.column("id", sa.Integer), sa.column("last_hash", sa.String))
    last = bind.execute(sa.select(head.c.last_hash).where(head.c.id == 1)).scalar()
    if last is not None:
        if last not in renamed:
            raise RuntimeError("the audit chain head does not match the last event: the log is not re-keyed")
        bind.execute(head.update().where(head.c.id == 1).values(last_hash=renamed[last]))
    return renamed


def _resign_checkpoints(bind, renamed: dict[str, str]) -> None:
    from referral.audit.verify import checkpoint_message
    from referral.security.keys import app_keys

    keys = app_keys()
    fingerprint = keys.audit_key_fingerprint()
    checkpoints = sa.table("audit_checkpoints", sa.column("id", sa.Integer), sa.column("event_id", sa.BigInteger),
                           sa.column("event_hash", sa.String), sa.column("key_fingerprint", sa.String),
                           sa.column("signature", sa.LargeBinary))
    rows = bind.execute(sa.select(checkpoints).where(checkpoints.c.key_fingerprint == fingerprint)).all()
    for row in rows:
        new_hash = renamed.get(row.event_hash)
        if new_hash is None:
            continue  # it signs no event of this chain: verification reports it, as before
        bind.execute(checkpoints.update().where(checkpoints.c.id == row.id).values(
            event_hash=new_hash, signature=keys.audit_signing.sign(checkpoint_message(row.event_id, new_hash))))
