"""Audit events that must survive the rollback of the request that caused them (denials, failures).

They are queued during the request and written, in a transaction of their own, after the
request's transaction has ended.
"""

from __future__ import annotations

from contextvars import ContextVar

from ..extensions import db
from .context import current_actor

_pending: ContextVar[list | None] = ContextVar("masar_deferred_audit", default=None)


def record_after(action: str, **kwargs) -> None:
    """Queue an event; `flush` writes it even if the current transaction rolls back."""
    pending = _pending.get()
    if pending is None:
        pending = []
        _pending.set(pending)
    kwargs.setdefault("actor", current_actor())
    pending.append((action, kwargs))


def flush() -> None:
    pending = _pending.get()
    if not pending:
        return
    _pending.set(None)
    from .log import record

    for action, kwargs in pending:
        record(action, **kwargs)
    db.session.commit()
