"""Audit events that must survive the rollback of the request that caused them (denials, failures).

They are queued during the request and written, in a transaction of their own, after the
request's transaction has ended.
"""

from __future__ import annotations

from contextvars import ContextVar

from ..extensions import db
from .context import current_actor
from .log import record, take_disclosed

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
    for action, kwargs in pending:
        record(action, **kwargs)
    db.session.commit()


def keep_disclosures() -> None:
    """Before a request's rollback: what its answer showed stays in the access log.

    A refused form shown again (422), a conflict (409) shown with the current referral: the
    request changes nothing, but the page it answers with still reads the file, and who read what
    must never depend on whether her submission was accepted. The reads are written again, after
    the rollback, in a transaction of their own."""
    for action, kwargs in take_disclosed():
        record_after(action, **kwargs)
