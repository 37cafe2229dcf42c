"""Verifying the access log: every hash, every link, no gap, and the signed checkpoints."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from sqlalchemy import func, select

from ..extensions import db
from ..models import AuditChainHead, AuditCheckpoint, AuditEvent
from ..security.keys import app_keys
from .chain import GENESIS_HASH, event_hash

BATCH = 2000


@dataclass(frozen=True)
class VerificationResult:
    valid: bool
    checked: int
    first_invalid_event: int | None = None
    #: "altered", "broken_link", "missing", "inserted", "truncated", "bad_signature", "checkpoint_mismatch".
    problem: str | None = None
    #: Signed checkpoints verified with the current key (0 means only the links were checked).
    checkpoints: int = 0

    def as_dict(self) -> dict:
        return {"valid": self.valid, "first_invalid_event": self.first_invalid_event,
                "checked": self.checked, "problem": self.problem, "checkpoints": self.checkpoints}


def checkpoint_message(event_id: int, event_hash_hex: str) -> bytes:
    return f"masar-audit-checkpoint:v1:{event_id}:{event_hash_hex}".encode()


_EVENTS = AuditEvent.__table__


def _event_rows(from_id: int, to_id: int) -> list[dict]:
    # Plain rows, not ORM objects: the caller's session (a request, with its user loaded) is left
    # alone, and what is checked is what the database holds now, never a cached copy.
    rows = db.session.execute(
        select(_EVENTS).where(_EVENTS.c.id >= from_id, _EVENTS.c.id <= to_id).order_by(_EVENTS.c.id).limit(BATCH)
    ).mappings().all()
    return [dict(row) for row in rows]


def _head() -> tuple[int, str] | None:
    row = db.session.execute(
        select(AuditChainHead.last_event_id, AuditChainHead.last_hash).where(AuditChainHead.id == 1)
    ).one_or_none()
    return None if row is None else (row.last_event_id, row.last_hash)


def verify_chain() -> VerificationResult:
    """Walk the chain in order. Reports the first event that was altered, removed or inserted.

    Writers append while this runs. Every writer moves the head in the transaction that adds its
    events, so: the head is read first and the walk stops at it (every event up to it is committed
    and visible); events beyond it are legitimate only if a head read after them covers them."""
    head = _head()
    if head is None:
        head = (0, GENESIS_HASH)
    expected_prev = GENESIS_HASH
    expected_id = 1
    checked = 0
    while expected_id <= head[0]:
        events = _event_rows(expected_id, head[0])
        if not events:
            break
        for event in events:
            if event["id"] != expected_id:
                # A gap: the event expected here was removed.
                return VerificationResult(False, checked, expected_id, "missing")
            if event["prev_hash"] != expected_prev:
                return VerificationResult(False, checked, event["id"], "broken_link")
            if event_hash(event) != event["hash"]:
                return VerificationResult(False, checked, event["id"], "altered")
            expected_prev = event["hash"]
            expected_id += 1
            checked += 1
    if checked != head[0] or (checked and head[1] != expected_prev):
        # The head knows of later events than the table holds: the tail was cut off.
        return VerificationResult(False, checked, checked + 1, "truncated")
    beyond = db.session.execute(select(func.max(_EVENTS.c.id))).scalar() or 0
    later_head = _head()
    if beyond > (later_head[0] if later_head else 0):
        # Events past every head the writers committed: added behind the app's back.
        return VerificationResult(False, checked, head[0] + 1, "inserted")
    return _verify_checkpoints(checked)


def _verify_checkpoints(checked: int) -> VerificationResult:
    keys = app_keys()
    public_key = keys.audit_public_key
    fingerprint = keys.audit_key_fingerprint()
    verified = 0
    checkpoints = db.session.execute(
        select(AuditCheckpoint.event_id, AuditCheckpoint.event_hash, AuditCheckpoint.key_fingerprint,
               AuditCheckpoint.signature).order_by(AuditCheckpoint.event_id)
    ).all()
    for checkpoint in checkpoints:
        if checkpoint.key_fingerprint != fingerprint:
            continue  # signed with an older key; verified with that key's public half offline
        try:
            public_key.verify(checkpoint.signature, checkpoint_message(checkpoint.event_id, checkpoint.event_hash))
        except InvalidSignature:
            return VerificationResult(False, checked, checkpoint.event_id, "bad_signature")
        stored = db.session.execute(select(_EVENTS.c.hash).where(_EVENTS.c.id == checkpoint.event_id)).scalar()
        if stored != checkpoint.event_hash:
            # The chain was rebuilt after this point was signed: history was rewritten.
            return VerificationResult(False, checked, checkpoint.event_id, "checkpoint_mismatch")
        verified += 1
    return VerificationResult(True, checked, checkpoints=verified)


def sign_head() -> AuditCheckpoint | None:
    """Sign the current chain head with the Ed25519 key kept outside the database."""
    head = _head()  # as committed now, not a copy cached in the session
    if head is None or head[0] == 0:
        return None
    last_event_id, last_hash = head
    keys = app_keys()
    latest = db.session.execute(
        select(AuditCheckpoint).order_by(AuditCheckpoint.event_id.desc()).limit(1)
    ).scalar_one_or_none()
    if (latest is not None and latest.event_id == last_event_id
            and latest.key_fingerprint == keys.audit_key_fingerprint()):
        return latest
    checkpoint = AuditCheckpoint(
        event_id=last_event_id,
        event_hash=last_hash,
        key_fingerprint=keys.audit_key_fingerprint(),
        signature=keys.audit_signing.sign(checkpoint_message(last_event_id, last_hash)),
    )
    db.session.add(checkpoint)
    return checkpoint
