"""What a request read to decide who may see a file, kept for the rest of the request.

A file page asks several questions of the same rows: the guard, the identity, the referrals
listed, what each receiving agency still sees, the consent each service of the directory is
covered by. Each question reads the file's consents in force, its referrals to an agency, the
categories of the agencies' services. The answers are kept here, in `g`, so they end with the
request (or job) that made them, and they are all forgotten as soon as one of those rows changes:
pending in the session (checked before each use), flushed, written in bulk, committed or rolled
back. A decision is never taken from a row the request has since changed.
"""

from __future__ import annotations

from flask import g, has_app_context
from sqlalchemy import event

from ..extensions import db
from ..models import Agency, Consent, Referral, Service

#: Rows a file decision reads.
_ACCESS_MODELS = (Referral, Consent, Agency, Service)
_ACCESS_TABLES = frozenset(model.__table__.name for model in _ACCESS_MODELS)
_KEPT = "_case_decisions"


def request_memo() -> dict | None:
    """The request's answers, or None when a change to the rows they read is pending (or outside
    a request or job: nothing is kept)."""
    if not has_app_context() or _access_changes_pending():
        return None
    memo = g.get(_KEPT)
    if memo is None:
        memo = g._case_decisions = {}
    return memo


def _touches_access(objects) -> bool:
    return any(isinstance(obj, _ACCESS_MODELS) for obj in objects)


def _access_changes_pending() -> bool:
    session = db.session
    return _touches_access(session.new) or _touches_access(session.dirty) or _touches_access(session.deleted)


def _forget(*_args) -> None:
    if has_app_context():
        g.pop(_KEPT, None)


@event.listens_for(db.session, "after_flush")
def _after_flush(session, _flush_context) -> None:
    # new/dirty/deleted still hold what this flush wrote.
    if _touches_access(session.new) or _touches_access(session.dirty) or _touches_access(session.deleted):
        _forget()


@event.listens_for(db.session, "do_orm_execute")
def _after_bulk_write(state) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(getattr(state.statement, "table", None), "name", None)
        if table is None or table in _ACCESS_TABLES:
            _forget()


event.listen(db.session, "after_commit", _forget)
event.listen(db.session, "after_soft_rollback", _forget)
