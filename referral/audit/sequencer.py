"""The sequencer: links the committed, sealed events into the hash chain, in batches.

Requests write their events unchained (`log`); this is the only writer of the chain. It locks the
chain head (so two sequencers, or a sequencer and a signing, take turns), reads the events waiting
in id order, checks each one's seal, gives it the next chain position and its keyed hash over the
previous one, and moves the head on. The whole batch commits together or not at all.

An event whose seal does not verify was not written by a holder of the chain key (a row inserted
behind the app's back): it is never chained, and the verifier reports it as forged. An event
that waits longer than `STALE_AFTER` shows as a finding of the verifier (the sequencer is down).
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, func, insert, select, update

from ..extensions import db
from ..models import AuditChainHead, AuditEvent
from ..security.keys import app_keys
from .chain import GENESIS_HASH, event_hash, event_seal
from .log import HEAD_ID

logger = logging.getLogger(__name__)

_EVENTS = AuditEvent.__table__
_HEAD = AuditChainHead.__table__

#: Events linked per statement batch (a run goes on batch after batch until none is waiting).
BATCH = 2000
#: Waiting events older than this many sequencer periods are reported by the verifier (at least a
#: minute: a long transaction's events carry the time they were recorded, not committed).
STALE_PERIODS = 10


def stale_after() -> timedelta:
    return max(timedelta(minutes=1), timedelta(seconds=STALE_PERIODS * current_app.config["AUDIT_CHAIN_SECONDS"]))


@dataclass(frozen=True)
class Waiting:
    """The events not chained yet: how many, the oldest's time, and those whose seal is forged."""

    count: int
    oldest: datetime | None
    forged: tuple[int, ...]


def chain_pending(limit: int | None = None) -> int:
    """Chain the committed events waiting, oldest id first (at most `limit`); how many were chained.

    Runs in the caller's transaction, which commits it; the head stays locked until then."""
    if not _anything_waits():
        return 0  # the common case every two seconds: no lock, no write (SQLite's file stays as it is)
    head = _lock_head()
    if head is None:
        return 0
    position, last_hash = head
    key = app_keys().audit_chain
    chained = 0
    after_id = 0
    while limit is None or chained < limit:
        size = BATCH if limit is None else min(BATCH, limit - chained)
        rows = db.session.execute(
            select(_EVENTS).where(_EVENTS.c.chain_position.is_(None), _EVENTS.c.id > after_id)
            .order_by(_EVENTS.c.id).limit(size)
        ).mappings().all()
        if not rows:
            break
        after_id = rows[-1]["id"]
        links = []
        for row in rows:
            if not _sealed_by_a_key_holder(row, key):
                logger.error("audit event %s has a forged seal: it is not chained", row["id"])
                continue
            position += 1
            event = dict(row, prev_hash=last_hash)
            last_hash = event_hash(event, key)
            links.append({"event_id": row["id"], "position": position, "prev": event["prev_hash"],
                          "linked_hash": last_hash})
        if links:
            db.session.execute(
                update(_EVENTS).where(_EVENTS.c.id == bindparam("event_id"))
                .values(chain_position=bindparam("position"), prev_hash=bindparam("prev"),
                        hash=bindparam("linked_hash")),
                links)
            chained += len(links)
        if len(rows) < size:
            break
    if chained:
        db.session.execute(update(_HEAD).where(_HEAD.c.id == HEAD_ID)
                           .values(last_position=position, last_hash=last_hash))
    return chained


def _anything_waits() -> bool:
    """One probe of the waiting events' partial index."""
    return db.session.execute(
        select(_EVENTS.c.id).where(_EVENTS.c.chain_position.is_(None)).limit(1)).first() is not None


def _lock_head() -> tuple[int, str] | None:
    """The head, locked until the transaction ends (PostgreSQL: its row; SQLite: the write lock)."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(select(_HEAD.c.last_position, _HEAD.c.last_hash)
                              .where(_HEAD.c.id == HEAD_ID).with_for_update()).one_or_none()
    else:
        touched = session.execute(update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(id=_HEAD.c.id)).rowcount
        row = session.execute(select(_HEAD.c.last_position, _HEAD.c.last_hash)
                              .where(_HEAD.c.id == HEAD_ID)).one_or_none() if touched else None
    if row is None:  # a fresh schema without its head row
        session.execute(insert(_HEAD).values(id=HEAD_ID, last_position=0, last_hash=GENESIS_HASH))
        return _lock_head()
    return row.last_position, row.last_hash


def _sealed_by_a_key_holder(row, key: bytes) -> bool:
    return row["seal"] is not None and hmac.compare_digest(event_seal(dict(row), key), row["seal"])


def waiting() -> Waiting:
    """What waits to be chained (read without locking: the sequencer may be at work)."""
    count, oldest = db.session.execute(
        select(func.count(), func.min(_EVENTS.c.occurred_at)).where(_EVENTS.c.chain_position.is_(None))
    ).one()
    if not count:
        return Waiting(0, None, ())
    key = app_keys().audit_chain
    rows = db.session.execute(select(_EVENTS).where(_EVENTS.c.chain_position.is_(None))
                              .order_by(_EVENTS.c.id).limit(BATCH)).mappings()
    forged = tuple(row["id"] for row in rows if not _sealed_by_a_key_holder(row, key))
    return Waiting(count, oldest, forged)
