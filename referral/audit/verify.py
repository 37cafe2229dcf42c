"""Verifying the access log: every keyed hash, every link, no gap, and the signed checkpoints, those in
the database and the copies kept outside it (which a database administrator cannot cut or rewrite).

The chain is walked in chain position order (`AuditEvent.chain_position`); "event N" in a result is
the event at position N. The events still waiting for the sequencer are checked too: a forged seal
is tampering, a long wait is a finding."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature
from flask import current_app
from sqlalchemy import func, select, text

from ..extensions import db
from ..models import AuditChainHead, AuditCheckpoint, AuditEvent
from ..models.base import utcnow
from ..security.keys import app_keys
from . import external
from .chain import GENESIS_HASH, event_hash
from .sequencer import Waiting, chain_pending, stale_after, waiting

BATCH = 2000


@dataclass(frozen=True)
class Finding:
    """Something that proves no tampering but leaves events without a signature for too long.

    kind: "no_external_checkpoint" (events, and no checkpoint outside the database), "signing_gap"
    (events from_event..to_event waited longer than allowed for their signature), "unsigned_tail"
    (events from from_event on are still unsigned after longer than allowed), "unchained" (`count`
    events wait for the sequencer, the oldest for `minutes`) or "app_role_can_rewrite" (on
    PostgreSQL, the app's own role may change or delete audit rows: the two roles are not split)."""

    kind: str
    from_event: int | None = None
    to_event: int | None = None
    #: How long the events waited, in whole minutes.
    minutes: int | None = None
    #: How many events ("unchained").
    count: int | None = None


@dataclass(frozen=True)
class VerificationResult:
    valid: bool
    checked: int
    #: The chain position where the log stops being valid ("event N" on the auditor's page).
    first_invalid_event: int | None = None
    #: "altered", "broken_link", "missing", "inserted", "truncated", "bad_signature", "checkpoint_mismatch",
    #: "checkpoint_missing" (a checkpoint kept outside the database is gone from it),
    #: "external_unreadable" (a file of the checkpoint directory is not a signed checkpoint),
    #: "forged" (an event waiting to be chained carries no valid seal: it has no position, only an id).
    problem: str | None = None
    #: Signed checkpoints verified with the current key (0 means only the links were checked).
    checkpoints: int = 0
    #: Of them, kept outside the database too.
    external_checkpoints: int = 0
    findings: tuple[Finding, ...] = ()
    #: The id of the event found invalid, when there is one (not for a removed event or a cut tail):
    #: where the auditor finds it in the log's list.
    invalid_event_id: int | None = None

    def as_dict(self) -> dict:
        return {"valid": self.valid, "first_invalid_event": self.first_invalid_event,
                "invalid_event_id": self.invalid_event_id,
                "checked": self.checked, "problem": self.problem, "checkpoints": self.checkpoints,
                "external_checkpoints": self.external_checkpoints,
                "findings": [vars(finding) for finding in self.findings]}


class ChainBroken(RuntimeError):
    """`sign_head` refuses to sign a chain that does not verify since its last checkpoint."""

    def __init__(self, result: VerificationResult):
        where = result.first_invalid_event
        if where is None:
            where = f"id {result.invalid_event_id}"
        super().__init__(f"the access log is broken at event {where} ({result.problem})")
        self.result = result


def checkpoint_message(event_id: int, event_hash_hex: str) -> bytes:
    return f"masar-audit-checkpoint:v1:{event_id}:{event_hash_hex}".encode()


_EVENTS = AuditEvent.__table__


_POSITION = _EVENTS.c.chain_position


def _event_rows(from_position: int, to_position: int) -> list[dict]:
    # Plain rows, not ORM objects: the caller's session (a request, with its user loaded) is left
    # alone, and what is checked is what the database holds now, never a cached copy.
    rows = db.session.execute(
        select(_EVENTS).where(from_position <= _POSITION, to_position >= _POSITION).order_by(_POSITION).limit(BATCH)
    ).mappings().all()
    return [dict(row) for row in rows]


def _head() -> tuple[int, str] | None:
    row = db.session.execute(
        select(AuditChainHead.last_position, AuditChainHead.last_hash).where(AuditChainHead.id == 1)
    ).one_or_none()
    return None if row is None else (row.last_position, row.last_hash)


def _hash_at(position: int) -> str | None:
    return db.session.execute(select(_EVENTS.c.hash).where(position == _POSITION)).scalar()


#: A signature may come this many signing intervals after the events it covers (one late run is
#: normal: the scheduler was restarted, a signing waited for a lock) before a gap is reported.
GAP_INTERVALS = 2


@dataclass
class _Walk:
    checked: int = 0
    last_hash: str = GENESIS_HASH
    failure: VerificationResult | None = None
    #: occurred_at of the events asked for (those right after each checkpoint).
    occurred: dict[int, datetime] = field(default_factory=dict)


def _walk(after_id: int, after_hash: str, head: tuple[int, str], *, expected: dict[int, str],
          wanted: set[int], checked_before: int = 0) -> _Walk:
    """Check positions after_id+1 .. head: no gaps, links, keyed hashes, and the hashes that
    external checkpoints fixed (`expected`), then that the head and the table end where the walk did."""
    key = app_keys().audit_chain
    walk = _Walk(checked=checked_before, last_hash=after_hash)
    expected_id = after_id + 1

    def broken(position: int, problem: str, event: dict | None = None) -> _Walk:
        walk.failure = VerificationResult(False, walk.checked, position, problem,
                                          invalid_event_id=event["id"] if event else None)
        return walk

    while expected_id <= head[0]:
        events = _event_rows(expected_id, head[0])
        if not events:
            break
        for event in events:
            position = event["chain_position"]
            if position != expected_id:
                return broken(expected_id, "missing")  # the event expected here was removed
            if event["prev_hash"] != walk.last_hash:
                return broken(position, "broken_link", event)
            if event_hash(event, key) != event["hash"]:
                return broken(position, "altered", event)  # changed, or rehashed without the key
            if expected.get(position, event["hash"]) != event["hash"]:
                return broken(position, "checkpoint_mismatch", event)  # rebuilt after it was signed
            if position in wanted:
                walk.occurred[position] = event["occurred_at"]
            walk.last_hash = event["hash"]
            expected_id += 1
            walk.checked += 1
    if expected_id <= head[0] or walk.last_hash != head[1]:
        # The head knows of later events than the table holds: the tail was cut off.
        return broken(expected_id, "truncated")
    beyond = db.session.execute(select(func.max(_POSITION))).scalar() or 0
    later_head = _head()
    if beyond > (later_head[0] if later_head else 0):
        # Events past every head the writers committed: added behind the app's back.
        return broken(head[0] + 1, "inserted")
    return walk


def _external_checkpoints() -> tuple[list[external.ExternalCheckpoint], VerificationResult | None]:
    """The outside copies signed with the current key, each signature checked."""
    keys = app_keys()
    fingerprint = keys.audit_key_fingerprint()
    checkpoints, unreadable = external.read_all()
    if unreadable:
        return [], VerificationResult(False, 0, None, "external_unreadable")
    current = [checkpoint for checkpoint in checkpoints if checkpoint.key_fingerprint == fingerprint]
    for checkpoint in current:
        try:
            keys.audit_public_key.verify(checkpoint.signature,
                                         checkpoint_message(checkpoint.event_id, checkpoint.event_hash))
        except InvalidSignature:
            return [], VerificationResult(False, 0, checkpoint.event_id, "bad_signature")
    return current, None


def verify_chain(now: datetime | None = None) -> VerificationResult:
    """Walk the chain in order. Reports the first event that was altered, removed or inserted, the
    tail cut off or a checkpoint removed (seen against the copies outside the database), and, as
    findings, events left unsigned longer than the signing interval allows.

    The sequencer chains while this runs. It moves the head in the transaction that links its
    events, so: the head is read first and the walk stops at it (every event up to it is committed
    and visible); events beyond it are legitimate only if a head read after them covers them."""
    outside, failure = _external_checkpoints()
    if failure is not None:
        return failure
    head = _head() or (0, GENESIS_HASH)
    walk = _walk(0, GENESIS_HASH, head, expected={c.event_id: c.event_hash for c in outside},
                 wanted={1} | {c.event_id + 1 for c in outside})
    if walk.failure is not None:
        return walk.failure
    if outside and outside[-1].event_id > walk.checked:
        # Signed outside the database, gone from it: the tail (and its checkpoints) were cut.
        return VerificationResult(False, walk.checked, walk.checked + 1, "truncated")
    result = _verify_checkpoints(walk.checked, outside)
    if not result.valid:
        return result
    now = now or utcnow()
    still_waiting = waiting()
    if still_waiting.forged:
        # Inserted behind the app's back, by someone without the key: the sequencer leaves it out.
        return VerificationResult(False, walk.checked, None, "forged", invalid_event_id=still_waiting.forged[0])
    findings = (_findings(outside, walk.occurred, head[0], now) + _waiting_findings(still_waiting, now)
                + _role_findings())
    return VerificationResult(True, walk.checked, checkpoints=result.checkpoints,
                              external_checkpoints=len(outside), findings=findings)


def _verify_checkpoints(checked: int, outside: list[external.ExternalCheckpoint]) -> VerificationResult:
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
        if checkpoint.event_id > checked:
            return VerificationResult(False, checked, checked + 1, "truncated")
        stored = _hash_at(checkpoint.event_id)
        if stored != checkpoint.event_hash:
            # The chain was rebuilt after this point was signed: history was rewritten.
            return VerificationResult(False, checked, checkpoint.event_id, "checkpoint_mismatch")
        verified += 1
    kept = {(checkpoint.event_id, checkpoint.event_hash) for checkpoint in checkpoints}
    for checkpoint in outside:
        if (checkpoint.event_id, checkpoint.event_hash) not in kept:
            return VerificationResult(False, checked, checkpoint.event_id, "checkpoint_missing")
    return VerificationResult(True, checked, checkpoints=verified)


def _findings(outside: list[external.ExternalCheckpoint], occurred: dict[int, datetime], head_id: int,
              now: datetime) -> tuple[Finding, ...]:
    if head_id == 0:
        return ()
    if not outside:
        return (Finding("no_external_checkpoint", 1, head_id),)
    allowed = timedelta(seconds=GAP_INTERVALS * current_app.config["AUDIT_SIGN_SECONDS"])
    findings = []
    previous = None
    for checkpoint in outside:
        first = previous.event_id + 1 if previous else 1
        if checkpoint.event_id >= first:
            waited = checkpoint.signed_at - _unsigned_since(occurred[first], previous)
            if waited > allowed:
                findings.append(Finding("signing_gap", first, checkpoint.event_id, _minutes(waited)))
        previous = checkpoint
    if head_id > previous.event_id:
        waited = now - _unsigned_since(occurred[previous.event_id + 1], previous)
        if waited > allowed:
            findings.append(Finding("unsigned_tail", previous.event_id + 1, head_id, _minutes(waited)))
    return tuple(findings)


def _waiting_findings(still_waiting: Waiting, now: datetime) -> tuple[Finding, ...]:
    if not still_waiting.count:
        return ()
    waited = now - still_waiting.oldest
    if waited <= stale_after():
        return ()
    return (Finding("unchained", minutes=_minutes(waited), count=still_waiting.count),)


def _role_findings() -> tuple[Finding, ...]:
    """The app's connection should not be able to rewrite the log (README, "The two database roles")."""
    if db.session.get_bind().dialect.name != "postgresql":
        return ()
    can_rewrite = db.session.execute(text(
        "SELECT bool_or(has_table_privilege(t, p)) FROM unnest(ARRAY['audit_events', 'audit_checkpoints']) t, "
        "unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER']) p")).scalar()
    return (Finding("app_role_can_rewrite"),) if can_rewrite else ()


def _unsigned_since(first_occurred: datetime, previous: external.ExternalCheckpoint | None) -> datetime:
    # An event recorded while a transaction was open can carry a time before the previous signature.
    return max(first_occurred, previous.signed_at) if previous else first_occurred


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _verify_since_last_checkpoint(head: tuple[int, str]) -> VerificationResult:
    """The chain from the latest signed point (outside the database, or in it) to the head."""
    outside, failure = _external_checkpoints()
    if failure is not None:
        return failure
    keys = app_keys()
    start = (0, GENESIS_HASH)
    if outside:
        start = (outside[-1].event_id, outside[-1].event_hash)
    latest = _latest_checkpoint(keys.audit_key_fingerprint())
    if latest is not None and latest.event_id > start[0]:
        try:
            keys.audit_public_key.verify(latest.signature, checkpoint_message(latest.event_id, latest.event_hash))
            start = (latest.event_id, latest.event_hash)
        except InvalidSignature:
            return VerificationResult(False, 0, latest.event_id, "bad_signature")
    if start[0] > head[0]:
        return VerificationResult(False, 0, head[0] + 1, "truncated")
    if start[0]:
        stored = _hash_at(start[0])
        if stored is None:
            return VerificationResult(False, 0, start[0], "missing")
        if stored != start[1]:
            return VerificationResult(False, 0, start[0], "checkpoint_mismatch")
    walk = _walk(start[0], start[1], head, expected={}, wanted=set(), checked_before=start[0])
    return walk.failure or VerificationResult(True, walk.checked)


def _latest_checkpoint(fingerprint: str) -> AuditCheckpoint | None:
    return db.session.execute(
        select(AuditCheckpoint).where(AuditCheckpoint.key_fingerprint == fingerprint)
        .order_by(AuditCheckpoint.event_id.desc()).limit(1)
    ).scalar_one_or_none()


def sign_head() -> AuditCheckpoint | None:
    """Sign the current chain head with the Ed25519 key kept outside the database, in the database
    and in the checkpoint directory. What waits is chained first (the head stays locked until the
    caller commits, so the sequencer waits: requests do not). The chain since the last checkpoint
    is verified first: a broken chain is never signed (`ChainBroken`), so a signature never
    blesses a forger's work."""
    chain_pending()
    head = _head()  # as this transaction left it, not a copy cached in the session
    if head is None or head[0] == 0:
        return None
    last_position, last_hash = head
    keys = app_keys()
    fingerprint = keys.audit_key_fingerprint()
    latest = _latest_checkpoint(fingerprint)
    if latest is not None and latest.event_id == last_position:
        return latest
    result = _verify_since_last_checkpoint(head)
    if not result.valid:
        raise ChainBroken(result)
    signed_at = utcnow()
    signature = keys.audit_signing.sign(checkpoint_message(last_position, last_hash))
    # Outside first: if the database then fails, the file still tells a true head.
    external.write(external.ExternalCheckpoint(
        event_id=last_position, event_hash=last_hash, signed_at=signed_at, key_fingerprint=fingerprint,
        signature=signature, name=external.file_name(last_position, fingerprint),
    ))
    checkpoint = AuditCheckpoint(event_id=last_position, event_hash=last_hash, signed_at=signed_at,
                                 key_fingerprint=fingerprint, signature=signature)
    db.session.add(checkpoint)
    return checkpoint
