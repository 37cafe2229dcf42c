"""Verifying the access log: every hash, every link, no gap, and the signed checkpoints."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from sqlalchemy import select

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

    def as_dict(self) -> dict:
        return {"valid": self.valid, "first_invalid_event": self.first_invalid_event,
                "checked": self.checked, "problem": self.problem}


def checkpoint_message(event_id: int, event_hash_hex: str) -> bytes:
    return f"masar-audit-checkpoint:v1:{event_id}:{event_hash_hex}".encode()


def verify_chain() -> VerificationResult:
    """Walk the chain in order. Reports the first event that was altered, removed or inserted."""
    expected_prev = GENESIS_HASH
    expected_id = 1
    checked = 0
    last_id = 0
    while True:
        events = db.session.execute(
            select(AuditEvent).where(AuditEvent.id >= expected_id).order_by(AuditEvent.id).limit(BATCH)
        ).scalars().all()
        if not events:
            break
        for event in events:
            if event.id != expected_id:
                # A gap: the event expected here was removed.
                return VerificationResult(False, checked, expected_id, "missing")
            if event.prev_hash != expected_prev:
                return VerificationResult(False, checked, event.id, "broken_link")
            if event_hash(event) != event.hash:
                return VerificationResult(False, checked, event.id, "altered")
            expected_prev = event.hash
            expected_id += 1
            last_id = event.id
            checked += 1
        db.session.expunge_all()
    head = db.session.get(AuditChainHead, 1)
    if head is not None and (head.last_event_id != last_id or (last_id and head.last_hash != expected_prev)):
        # The head knows of later events than the table holds: the tail was cut off.
        return VerificationResult(False, checked, last_id + 1, "truncated")
    return _verify_checkpoints(checked)


def _verify_checkpoints(checked: int) -> VerificationResult:
    keys = app_keys()
    public_key = keys.audit_public_key
    fingerprint = keys.audit_key_fingerprint()
    for checkpoint in db.session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.event_id)).scalars():
        if checkpoint.key_fingerprint != fingerprint:
            continue  # signed with an older key; verified with that key's public half offline
        try:
            public_key.verify(checkpoint.signature, checkpoint_message(checkpoint.event_id, checkpoint.event_hash))
        except InvalidSignature:
            return VerificationResult(False, checked, checkpoint.event_id, "bad_signature")
        event = db.session.get(AuditEvent, checkpoint.event_id)
        if event is None or event.hash != checkpoint.event_hash:
            # The chain was rebuilt after this point was signed: history was rewritten.
            return VerificationResult(False, checked, checkpoint.event_id, "checkpoint_mismatch")
    return VerificationResult(True, checked)


def sign_head() -> AuditCheckpoint | None:
    """Sign the current chain head with the Ed25519 key kept outside the database."""
    head = db.session.get(AuditChainHead, 1)
    if head is None or head.last_event_id == 0:
        return None
    latest = db.session.execute(
        select(AuditCheckpoint).order_by(AuditCheckpoint.event_id.desc()).limit(1)
    ).scalar_one_or_none()
    if latest is not None and latest.event_id == head.last_event_id:
        return latest
    keys = app_keys()
    checkpoint = AuditCheckpoint(
        event_id=head.last_event_id,
        event_hash=head.last_hash,
        key_fingerprint=keys.audit_key_fingerprint(),
        signature=keys.audit_signing.sign(checkpoint_message(head.last_event_id, head.last_hash)),
    )
    db.session.add(checkpoint)
    return checkpoint
