"""The access log: append-only, hash-chained, its head signed with a key outside the database.

A request inserts its events sealed (each with a keyed hash of its content) and unchained; the
sequencer (`audit.sequencer`) links them into the chain in batches, giving each a chain position.
No request waits on another's events (issue 16, part 4)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, Sequence, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import JSONType, UTCDateTime, utcnow
from .vocab import AuditOutcome, enum_column

#: PostgreSQL: where event ids come from (SQLite, one writer at a time, takes the next after max(id)).
ID_SEQUENCE = "audit_events_id_seq"


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_occurred_at", "occurred_at"),
        Index("ix_audit_events_actor", "actor_user_id", "occurred_at"),
        Index("ix_audit_events_agency", "actor_agency_id", "occurred_at"),
        Index("ix_audit_events_case", "case_id", "occurred_at"),
        Index("ix_audit_events_action", "action", "occurred_at"),
        # Only chained events: an event waiting has nothing to enter here (one index entry less per insert).
        Index("ix_audit_events_chain_position", "chain_position", unique=True,
              postgresql_where=text("chain_position IS NOT NULL"), sqlite_where=text("chain_position IS NOT NULL")),
        # The sequencer's queue: the events not chained yet, in id order.
        Index("ix_audit_events_unchained", "id", postgresql_where=text("chain_position IS NULL"),
              sqlite_where=text("chain_position IS NULL")),
    )
    #: Given when the event is inserted, from a sequence: increasing, with gaps where a transaction
    #: rolled back. Before revision a23 the chain was ordered by id and ids had no gaps.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), Sequence(ID_SEQUENCE),
                                    primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[AuditOutcome] = mapped_column(enum_column(AuditOutcome, "audit_outcome"))
    # Who: plain ids and names copied, so the log stays readable after an account changes.
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    actor_username: Mapped[str | None] = mapped_column(String(80))
    actor_agency_id: Mapped[int | None] = mapped_column(Integer)
    actor_roles: Mapped[str | None] = mapped_column(String(120))
    session_ref: Mapped[str | None] = mapped_column(String(16))
    # What.
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    #: Names of the fields decrypted or changed, never their values.
    fields: Mapped[list] = mapped_column(JSONType, default=list)
    # From where and why.
    ip_address: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(64))
    #: Written reason for an emergency read outside the user's scope; flagged to auditors.
    break_glass_reason: Mapped[str | None] = mapped_column(String(1000))
    #: Non-identifying details (status codes, reference numbers, counts).
    details: Mapped[dict] = mapped_column(JSONType, default=dict)
    #: HMAC of the content under the chain key, written with the event: the sequencer chains only
    #: events whose seal it verifies, so a row inserted without the key never enters the chain.
    #: None for events chained before revision a23 (they were hashed at once).
    seal: Mapped[str | None] = mapped_column(String(64))
    #: Position in the chain: 1, 2, 3... without gaps (a gap is a removed event); set once, by the
    #: sequencer, with prev_hash and hash. None while the event waits to be chained.
    chain_position: Mapped[int | None] = mapped_column(BigInteger)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(db.Model):
    """The chain's last link; only the sequencer locks it, to keep the chain linear across processes."""

    __tablename__ = "audit_chain_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The chain position of the last chained event.
    last_position: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(db.Model):
    """A signature (Ed25519, key outside the database) over the chain head at some event."""

    __tablename__ = "audit_checkpoints"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The chain position of the event signed (its id too, for events chained before revision a23).
    #: The name is kept: it is in every signed message and outside copy since the first checkpoint.
    event_id: Mapped[int] = mapped_column(BigInteger, index=True)
    event_hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Fingerprint of the public key, so verification knows which key signed.
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    signature: Mapped[bytes] = mapped_column(LargeBinary)
