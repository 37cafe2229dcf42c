"""Writing to the access log, in the same transaction as the access it records.

`record` only stages the event in the session's transaction: no statement, no lock. The events a
transaction staged are written in one batch just before it commits (a ``before_commit`` listener
on every Session, after the transaction's own changes are flushed): their ids are drawn from a
sequence, each is sealed (`chain.event_seal`, a keyed hash of its content) and one INSERT writes
them. They are not chained yet: the sequencer (`sequencer.chain_pending`, a job every few seconds)
links the committed events into the hash chain in batches, so no request waits for another's
events, nor holds any lock for its own (issue 16, part 4). Events are chained in id order among
those committed when the sequencer runs; one whose transaction commits later is chained later.

The rules:

- An event commits with the transaction that recorded it, or not at all. A rollback discards
  what it staged (a savepoint's rollback, what was recorded inside it). Ids may have gaps (a
  rolled-back transaction drew some); chain positions never do.
- ``occurred_at`` is the time of the `record` call; ``id`` and ``seal`` are set when the event is
  written (the object `record` returns has neither before), ``chain_position``, ``prev_hash``
  and ``hash`` only in the database, by the sequencer.
- A transaction reads its own events: a statement run through the session that names
  ``audit_events`` or ``audit_chain_head`` (ORM or Core, or SQL text naming them) first writes
  what is staged. SQL sent past the session (``session.connection()``, ``db.engine``) is not
  seen: call `flush_staged` before it.
- A read that needs only what other transactions committed (the owner's list of emergency reads
  on her file page) says so with ``execution_options(**COMMITTED_LOG)``: it writes nothing early.
- Events that must survive a rollback (denials, failures) go through `deferred.record_after`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Sequence, bindparam, event, func, insert, select, update
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.expression import TableClause

from ..extensions import db
from ..models import AuditChainHead, AuditEvent
from ..models.audit import ID_SEQUENCE
from ..models.base import utcnow
from ..models.vocab import AuditOutcome
from ..security.keys import app_keys
from .chain import GENESIS_HASH, event_seal
from .context import Actor, current_actor

HEAD_ID = 1

_EVENTS = AuditEvent.__table__
_HEAD = AuditChainHead.__table__
_LOG_TABLES = frozenset({_EVENTS.name, _HEAD.name})
_STAGING = "masar.audit.staging"
#: Execution options of a read of the log that needs none of its own transaction's events.
COMMITTED_LOG = {"masar_committed_log": True}
#: Events that record what a user was shown of a file (identity, narrative, notes, attachments,
#: a referral's shared data, a public report).
DISCLOSURES = frozenset({"case.read", "case.break_glass_read", "referral.read", "note.read", "attachment.read",
                         "attachment.list", "report.read", "task.read"})

@dataclass(slots=True)
class StagedEvent:
    """An event recorded and not written yet: the columns of `AuditEvent`, without the ORM's
    bookkeeping (a sweep batch records thousands). ``id`` and ``seal`` are set when it is written;
    the chain's columns stay None here (the sequencer sets them in the database)."""

    occurred_at: datetime
    action: str
    outcome: AuditOutcome
    actor_user_id: int | None
    actor_username: str | None
    actor_agency_id: int | None
    actor_roles: str | None
    session_ref: str | None
    object_type: str | None
    object_id: str | None
    case_id: uuid.UUID | None
    fields: list
    ip_address: str | None
    purpose: str | None
    break_glass_reason: str | None
    details: dict
    id: int | None = None
    seal: str | None = None
    chain_position: int | None = None
    prev_hash: str | None = None
    hash: str | None = None


#: (transaction or savepoint the event was recorded in, event)
_Entry = tuple[SessionTransaction, StagedEvent]


@dataclass
class _Staging:
    """The session's audit events not yet in the database, kept in `Session.info`."""

    #: In the order they were recorded.
    staged: list[_Entry] = field(default_factory=list)
    #: Events appended while a savepoint was open, by savepoint: if it rolls back, the database
    #: forgets them, and those recorded outside it are staged again.
    appended_in: dict[SessionTransaction, list[_Entry]] = field(default_factory=dict)
    #: The reads of survivor data recorded in this transaction, as `record` was called: kept if it
    #: rolls back after its answer was shown (`deferred.keep_disclosures`).
    disclosed: list[tuple[str, dict]] = field(default_factory=list)


def ensure_chain_head() -> None:
    """Create the chain head row if the database has none (fresh schema)."""
    if db.session.get(AuditChainHead, HEAD_ID) is None:
        db.session.add(AuditChainHead(id=HEAD_ID, last_position=0, last_hash=GENESIS_HASH))
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
) -> StagedEvent:
    """Stage one event; it is written when the caller's transaction commits (and chained later).

    Who acts is read now (`current_actor`), not at the append.
    """
    actor = actor or current_actor()
    session = db.session()
    if session.get_transaction() is None:
        session.begin()  # no statement yet: it only ties the event to the transaction to come
    transaction = session.get_nested_transaction() or session.get_transaction()
    audit_event = StagedEvent(
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
    )
    staging = session.info.setdefault(_STAGING, _Staging())
    staging.staged.append((transaction, audit_event))
    if action in DISCLOSURES and outcome == AuditOutcome.SUCCESS:
        staging.disclosed.append((action, {
            "object_type": object_type, "object_id": object_id, "case_id": case_id, "fields": tuple(fields),
            "purpose": purpose, "break_glass_reason": break_glass_reason, "details": details, "actor": actor}))
    return audit_event


def take_disclosed() -> list[tuple[str, dict]]:
    """The reads of a file the transaction recorded so far, as (action, arguments), forgotten here
    (`deferred.keep_disclosures` writes them again after a rollback)."""
    staging = db.session().info.get(_STAGING)
    if staging is None:
        return []
    disclosed, staging.disclosed = staging.disclosed, []
    return disclosed


def flush_staged() -> None:
    """Write the events staged so far now (they commit or roll back with the transaction)."""
    _append_staged(db.session())


def _append_staged(session: Session) -> None:
    staging = session.info.get(_STAGING)
    if staging is None or not staging.staged:
        return
    batch, staging.staged = staging.staged, []
    savepoint = session.get_nested_transaction()
    if savepoint is not None:
        # Noted before writing: if the savepoint rolls back, even halfway, these are staged again.
        staging.appended_in.setdefault(savepoint, []).extend(batch)
    _append(session, [audit_event for _, audit_event in batch])


def _append(session: Session, events: list[StagedEvent]) -> None:
    """Ids, seals, one INSERT: two statements however many events, and no lock."""
    key = app_keys().audit_chain
    rows = []
    for audit_event, event_id in zip(events, _new_ids(session, len(events)), strict=True):
        audit_event.id = event_id
        audit_event.seal = event_seal(audit_event, key)
        rows.append({column.key: getattr(audit_event, column.key) for column in _EVENTS.columns})
    session.execute(insert(_EVENTS), rows)


#: Built once: every audited request draws its ids.
_DRAW_IDS = select(Sequence(ID_SEQUENCE).next_value()).select_from(func.generate_series(1, bindparam("count")))


def _new_ids(session: Session, count: int) -> list[int]:
    if session.get_bind().dialect.name == "postgresql":
        return list(session.execute(_DRAW_IDS, {"count": count}).scalars())
    # SQLite has one writer at a time: once this transaction writes, max(id) stays its own until it
    # commits. Writing the head row (unchanged) takes that lock first, as BEGIN IMMEDIATE would.
    session.execute(update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(id=_HEAD.c.id))
    last = session.execute(select(func.max(_EVENTS.c.id))).scalar() or 0
    return list(range(last + 1, last + count + 1))


# --- the session's transaction lifecycle -----------------------------------------------------
# Listeners on every Session (the app's, and any a command or the benchmark binds to a connection).


@event.listens_for(Session, "before_commit")
def _append_before_commit(session: Session) -> None:
    staging = session.info.get(_STAGING)
    if staging is not None and staging.staged:
        session.flush()  # the transaction's own changes first (SQLite: its write lock is taken later)
        _append_staged(session)


@event.listens_for(Session, "do_orm_execute")
def _append_before_reading_the_log(state: ORMExecuteState) -> None:
    staging = state.session.info.get(_STAGING)
    if staging is not None and staging.staged and not state.execution_options.get("masar_committed_log") \
            and _names_the_log(state.statement):
        _append_staged(state.session)


#: Whether a statement's shape reads the log, by its SQLAlchemy cache key (the same key its
#: compiled form is cached under; the statement keeps it, so SQLAlchemy does not compute it again).
#: Bounded like SQLAlchemy's own cache of compiled statements.
_SHAPES_NAMING_THE_LOG: dict = {}
_SHAPES_KEPT = 2000


def _names_the_log(statement) -> bool:
    if isinstance(statement, TextClause):
        text = statement.text.lower()
        return any(name in text for name in _LOG_TABLES)
    cache_key = statement._generate_cache_key()  # noqa: SLF001  (memoized on the statement)
    if cache_key is None:  # a statement SQLAlchemy does not cache: walk it every time
        return _walk_names_the_log(statement)
    answer = _SHAPES_NAMING_THE_LOG.get(cache_key.key)
    if answer is None:
        if len(_SHAPES_NAMING_THE_LOG) >= _SHAPES_KEPT:
            _SHAPES_NAMING_THE_LOG.clear()
        answer = _SHAPES_NAMING_THE_LOG[cache_key.key] = _walk_names_the_log(statement)
    return answer


def _walk_names_the_log(statement) -> bool:
    return any(isinstance(element, TableClause) and element.name in _LOG_TABLES
               for element in visitors.iterate(statement))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    staging = session.info.get(_STAGING)
    if staging is None:
        return
    released = session.get_nested_transaction()  # still the committing one, if it is a savepoint
    if released is None:
        session.info.pop(_STAGING)  # everything is committed
        return
    parent = released.parent
    staging.staged = [(parent if t is released else t, e) for t, e in staging.staged]
    appended = staging.appended_in.pop(released, [])
    if appended and parent.nested:
        staging.appended_in.setdefault(parent, []).extend(appended)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    staging = session.info.get(_STAGING)
    if staging is None:
        return
    undone = session.get_nested_transaction()  # the savepoint rolled back, or None: everything
    if undone is None:
        session.info.pop(_STAGING)
        return
    live = set()
    outer = undone.parent
    while outer is not None:
        live.add(outer)
        outer = outer.parent
    forgotten = []
    for savepoint in [s for s in staging.appended_in if s not in live]:
        forgotten += staging.appended_in.pop(savepoint)
    # In id order; a batch whose write failed (no ids yet) was the savepoint's last.
    again = sorted((entry for entry in forgotten if entry[0] in live),
                   key=lambda entry: entry[1].id if entry[1].id is not None else float("inf"))
    for _, audit_event in again:
        audit_event.id = audit_event.seal = None
    staging.staged = again + [entry for entry in staging.staged if entry[0] in live]


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # closed without commit or rollback (Session.close): discarded
        session.info.pop(_STAGING, None)
