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
import base64
import hashlib
import hmac
import json
from datetime import UTC

import sqlalchemy as sa
from alembic import op
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app

# revision identifiers, used by Alembic.
revision = 'b14a_keyed_audit_chain'
down_revision = '08ca08f5d2d3'
branch_labels = None
depends_on = None

BATCH = 5000
GENESIS = "0" * 64

# The chain as it is at this revision: the migration keeps its own copy of the hashed fields, of
# their canonical form and of the checkpoint message (a later change to the app must not change
# what replaying it does). The keys come from the app's configuration, as the app reads them.
HASHED_FIELDS = (
    "id", "occurred_at", "action", "outcome", "actor_user_id", "actor_username", "actor_agency_id",
    "actor_roles", "session_ref", "object_type", "object_id", "case_id", "fields", "ip_address",
    "purpose", "break_glass_reason", "details", "prev_hash",
)
EVENTS = sa.table(
    "audit_events",
    sa.column("id", sa.BigInteger), sa.column("occurred_at", sa.DateTime(timezone=True)),
    sa.column("action", sa.String), sa.column("outcome", sa.String), sa.column("actor_user_id", sa.Integer),
    sa.column("actor_username", sa.String), sa.column("actor_agency_id", sa.Integer),
    sa.column("actor_roles", sa.String), sa.column("session_ref", sa.String), sa.column("object_type", sa.String),
    sa.column("object_id", sa.String), sa.column("case_id", sa.Uuid), sa.column("fields", sa.JSON),
    sa.column("ip_address", sa.String), sa.column("purpose", sa.String), sa.column("break_glass_reason", sa.String),
    sa.column("details", sa.JSON), sa.column("prev_hash", sa.String), sa.column("hash", sa.String),
)


def _canonical(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "isoformat"):
        if getattr(value, "tzinfo", None) is not None:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(timespec="microseconds")
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return str(value)


def _payload(row: dict) -> bytes:
    payload = {name: _canonical(row[name]) for name in HASHED_FIELDS}
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def legacy_event_hash(row: dict) -> str:
    return hashlib.sha256(_payload(row)).hexdigest()


def event_hash(row: dict, key: bytes) -> str:
    return hmac.new(key, _payload(row), hashlib.sha256).hexdigest()


def checkpoint_message(event_id: int, event_hash_hex: str) -> bytes:
    return f"masar-audit-checkpoint:v1:{event_id}:{event_hash_hex}".encode()


def _config_key(name: str) -> bytes:
    """A base64 key of the app's configuration (the app refuses to start without a valid one)."""
    value = current_app.config.get(name)
    if not value:
        raise RuntimeError(f"MASAR_{name} is not set: the access log cannot be re-keyed without it")
    return base64.b64decode(value.strip(), validate=True)


def _chain_key() -> bytes:
    key = _config_key("AUDIT_CHAIN_KEY")
    if len(key) < 32:
        raise RuntimeError("MASAR_AUDIT_CHAIN_KEY must be at least 32 bytes")
    return key


def upgrade():
    _rehash(keyed=True)


def downgrade():
    _rehash(keyed=False)


def _rehash(keyed: bool) -> None:
    key = _chain_key()
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
    events = EVENTS
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
    signing = Ed25519PrivateKey.from_private_bytes(_config_key("AUDIT_SIGNING_KEY"))
    fingerprint = signing.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    checkpoints = sa.table("audit_checkpoints", sa.column("id", sa.Integer), sa.column("event_id", sa.BigInteger),
                           sa.column("event_hash", sa.String), sa.column("key_fingerprint", sa.String),
                           sa.column("signature", sa.LargeBinary))
    rows = bind.execute(sa.select(checkpoints).where(checkpoints.c.key_fingerprint == fingerprint)).all()
    for row in rows:
        new_hash = renamed.get(row.event_hash)
        if new_hash is None:
            continue  # it signs no event of this chain: verification reports it, as before
        bind.execute(checkpoints.update().where(checkpoints.c.id == row.id).values(
            event_hash=new_hash, signature=signing.sign(checkpoint_message(row.event_id, new_hash))))
