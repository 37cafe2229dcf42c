"""Writing to the access log, in the same transaction as the access it records."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select, update

from ..extensions import db
from ..models import AuditChainHead, AuditEvent
from ..models.base import utcnow
from ..models.vocab import AuditOutcome
from .chain import GENESIS_HASH, event_hash
from .context import Actor, current_actor

HEAD_ID = 1


def ensure_chain_head() -> None:
    """Create the chain head row if the database has none (fresh schema)."""
    if db.session.get(AuditChainHead, HEAD_ID) is None:
        db.session.add(AuditChainHead(id=HEAD_ID, last_event_id=0, last_hash=GENESIS_HASH))
        db.session.flush()


def record(
    action: str,
    *,
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    object_type: str | None = None,
    object_id: object = None,
    case_id: uuid.UUID | None = None,
    fields: Iterable[str] = (),
    purpose: str | None = None,
    break_glass_reason: str | None = None,
    details: dict | None = None,
    actor: Actor | None = None,
) -> AuditEvent:
    """Append one event to the chain. The caller's transaction commits it with the access itself.

    The chain head row is updated first: that takes its row lock (PostgreSQL) or the write lock
    (SQLite), so concurrent writers queue here and the chain stays linear.
    """
    actor = actor or current_actor()
    result = db.session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .values(last_event_id=AuditChainHead.last_event_id + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        ensure_chain_head()
        return record(
            action, outcome=outcome, object_type=object_type, object_id=object_id, case_id=case_id,
            fields=fields, purpose=purpose, break_glass_reason=break_glass_reason, details=details,
            actor=actor,
        )
    event_id, prev_hash = db.session.execute(
        select(AuditChainHead.last_event_id, AuditChainHead.last_hash).where(AuditChainHead.id == HEAD_ID)
    ).one()
    event = AuditEvent(
        id=event_id,
        occurred_at=utcnow(),
        action=action,
        outcome=outcome,
        actor_user_id=actor.user_id,
        actor_username=actor.username,
        actor_agency_id=actor.agency_id,
        actor_roles=",".join(sorted(actor.roles)) or None,
        session_ref=actor.session_ref,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        case_id=case_id,
        fields=sorted(set(fields)),
        ip_address=actor.ip_address,
        purpose=purpose,
        break_glass_reason=break_glass_reason,
        details=details or {},
        prev_hash=prev_hash,
    )
    event.hash = event_hash(event)
    db.session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .values(last_hash=event.hash)
        .execution_options(synchronize_session=False)
    )
    db.session.add(event)
    db.session.flush([event])
    return event
