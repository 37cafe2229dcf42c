"""Emergency access (break-glass) to a file outside one's scope, built so one insider cannot abuse it.

- Only staff of agencies that answer emergencies (a shelter, a hospital unit, the police) may ask;
  the administrator sets which kinds of agency and roles (`emergency_rules`).
- The file is named by an exact identity search (her name and her phone or national ID), never by
  a file number, so typing consecutive numbers finds nothing; each miss is an `access.denied`.
- The reason is chosen from a list; the free note is sealed under the file's key (erasure removes
  it) and never stands in clear in the access log.
- Access lasts ACCESS_MINUTES and is read-only; the owning association is told at once.
- Past DAILY_LIMIT grants in 24 hours, a colleague must approve, and the auditors are alerted.

Grants, requests and approvals are access-log events: the log is already append-only and signed,
and it is what auditors read, so no second record can disagree with it.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select

from ..audit import deferred
from ..audit.log import COMMITTED_LOG, record
from ..dbutil import lock_row
from ..extensions import db
from ..models import AuditEvent, Case, CaseBlindIndex, User
from ..models.base import utcnow
from ..models.vocab import AuditOutcome, CaseStatus, Role
from ..notifications import agency_staff, auditors, notify
from ..policy import Action, PermissionDenied, require
from ..security.blind_index import BlindIndexError
from ..security.case_crypto import seal, unseal_text
from ..security.keys import app_keys
from . import emergency_rules
from .cases import BLIND_INDEXED, _confirms, read_identity
from .cases import EMERGENCY_REASONS as REASONS
from .errors import InputError

ACCESS_MINUTES = 60
DAILY_LIMIT = 3
MAX_NOTE = 1000

GRANT = "case.break_glass_read"
PENDING = "case.break_glass_request"
APPROVED = "case.break_glass_approve"


@dataclass(frozen=True)
class Outcome:
    case: Case
    granted: bool  # False: over the daily limit, waiting for a colleague's approval
    request_id: str


def may_ask(user: User) -> bool:
    """Whether `user`'s role and agency let her ask for emergency access at all (admin's rules)."""
    return emergency_rules.may_ask(user)


def require_may_ask(user: User) -> None:
    require(user, Action.CASE_BREAK_GLASS)
    if not may_ask(user):
        raise PermissionDenied(Action.CASE_BREAK_GLASS, "agency_not_eligible")


def request_access(user: User, column: str, value: str, full_name: str, reason: str,
                   note: str | None) -> Outcome:
    """Find her file by exact identity and open it for ACCESS_MINUTES, or queue it for approval."""
    require_may_ask(user)
    if reason not in REASONS:
        raise InputError("reason", "required")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InputError("note", "too_long")
    try:
        case = _find_exactly_one(column, value, full_name)
    except InputError as exc:
        _trace_miss(column, exc.code)
        raise
    if case is None:
        _trace_miss(column, "no_exact_match")
        raise InputError("value", "no_exact_match")
    # One request of hers at a time: two sent together must not both fit under the daily limit.
    lock_row(User, user.id)
    request_id = str(uuid.uuid4())
    details = {"case_number": case.case_number, "request_id": request_id, "owner_agency_id": case.owner_agency_id}
    if note:
        # The note may name people and places: sealed under the file's key, bound to this request.
        details["note_ct"] = base64.b64encode(seal(case.id, "break_glass", "note", request_id, note)).decode()
    if grants_today(user) >= DAILY_LIMIT:
        record(PENDING, object_type="case", object_id=case.id, case_id=case.id, purpose="break_glass",
               break_glass_reason=reason, details=details)
        notify(auditors(), "break_glass.over_limit", case=case,
               params={"user": user.username, "limit": DAILY_LIMIT})
        return Outcome(case, False, request_id)
    _grant(user, case, reason, details)
    return Outcome(case, True, request_id)


def _trace_miss(column: str, answer: str) -> None:
    """Every failed lookup is kept (after the request's rollback): a run of misses is enumeration."""
    deferred.record_after("access.denied", outcome=AuditOutcome.DENIED, object_type="case",
                          details={"action": Action.CASE_BREAK_GLASS.value, "answer": answer, "column": column})


def approve(approver: User, request_id: str) -> Case:
    """A colleague of the requester, herself allowed to ask, approves a request over the limit."""
    require_may_ask(approver)
    pending = _pending_request(request_id)
    if pending is not None:
        lock_row(User, pending.actor_user_id)  # two colleagues approving at once: one approval
    if pending is None or pending.actor_agency_id != approver.agency_id or _approved(request_id):
        raise InputError("request", "not_found")
    if pending.actor_user_id == approver.id:
        raise PermissionDenied(Action.CASE_BREAK_GLASS, "own_request")
    case = db.session.get(Case, pending.case_id)
    record(APPROVED, object_type="case", object_id=case.id, case_id=case.id, purpose="break_glass",
           break_glass_reason=pending.break_glass_reason,
           details={"case_number": case.case_number, "request_id": request_id,
                    "requester": pending.actor_username})
    requester = db.session.get(User, pending.actor_user_id)
    notify([requester], "break_glass.approved", case=case)
    _tell_owner(case, pending.break_glass_reason, requester)
    return case


def pending_for(approver: User) -> list[AuditEvent]:
    """Requests of the approver's colleagues, over the limit and not yet approved, of the last hour."""
    since = utcnow() - timedelta(minutes=ACCESS_MINUTES)
    rows = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == PENDING, AuditEvent.occurred_at >= since,
                                 AuditEvent.actor_agency_id == approver.agency_id,
                                 AuditEvent.actor_user_id != approver.id)
        .order_by(AuditEvent.id)
    ).scalars().all()
    return [row for row in rows if not _approved(row.details.get("request_id"))]


def open_window(user: User, case: Case) -> datetime | None:
    """When `user`'s current emergency access to `case` ends, or None when she has none."""
    since = utcnow() - timedelta(minutes=ACCESS_MINUTES)
    granted = db.session.execute(
        select(func.max(AuditEvent.occurred_at)).where(
            AuditEvent.action == GRANT, AuditEvent.purpose == "break_glass", AuditEvent.case_id == case.id,
            AuditEvent.actor_user_id == user.id, AuditEvent.occurred_at >= since)
    ).scalar()
    approvals = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == APPROVED, AuditEvent.case_id == case.id,
                                 AuditEvent.occurred_at >= since)
    ).scalars().all()
    approved_at = max((row.occurred_at for row in approvals
                       if (request := _pending_request(row.details.get("request_id"))) is not None
                       and request.actor_user_id == user.id), default=None)
    start = max((t for t in (granted, approved_at) if t is not None), default=None)
    return start + timedelta(minutes=ACCESS_MINUTES) if start is not None else None


def read_during_window(user: User, case: Case) -> dict:
    """Her identity, read-only, while `user`'s emergency access lasts; each read is logged."""
    require_may_ask(user)
    if open_window(user, case) is None:
        raise PermissionDenied(Action.CASE_BREAK_GLASS, "expired")
    return read_identity(user, case, purpose="break_glass_view", break_glass_reason=_reason_of(user, case))


def grants_today(user: User) -> int:
    """Emergency grants `user` received in the last 24 hours (a rolling day: no midnight reset)."""
    return db.session.execute(
        select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == GRANT, AuditEvent.purpose == "break_glass",
            AuditEvent.actor_user_id == user.id, AuditEvent.occurred_at >= utcnow() - timedelta(days=1))
    ).scalar_one()


#: Built once (CONTRIBUTING.md, "Statements a page runs on every visit").
_EMERGENCY_ACCESSES_TO = (
    select(AuditEvent).where(AuditEvent.case_id == bindparam("case_id"), AuditEvent.action.in_([GRANT, PENDING]),
                             AuditEvent.purpose == "break_glass")
    .order_by(AuditEvent.id.desc()).limit(50)
    # Only others' emergency reads: her page's own events are not needed, and appending them
    # here would hold the log's head lock while the page renders (every audited request waits).
    .execution_options(**COMMITTED_LOG))


def accesses_to(user: User, case: Case) -> list[tuple[AuditEvent, str | None]]:
    """Emergency grants and requests on the owner's file, newest first, with their notes: who, when, why."""
    require(user, Action.CASE_UPDATE, case)  # the owning association only
    rows = db.session.execute(_EMERGENCY_ACCESSES_TO, {"case_id": case.id}).scalars().all()
    return [(row, note_of(row)) for row in rows]


def note_of(event: AuditEvent) -> str | None:
    """The sealed note of a request, for the owning association; None once the file is erased."""
    blob = event.details.get("note_ct")
    if not blob or event.case_id is None:
        return None
    case = db.session.get(Case, event.case_id)
    if case is None or case.shredded_at is not None:
        return None
    return unseal_text(case.id, "break_glass", "note", event.details["request_id"], base64.b64decode(blob))


def _grant(user: User, case: Case, reason: str, details: dict) -> None:
    read = read_identity(user, case, purpose="break_glass", break_glass_reason=reason, audit=False)
    record(GRANT, object_type="case", object_id=case.id, case_id=case.id, purpose="break_glass",
           break_glass_reason=reason, fields=[c for c, v in read.items() if v is not None], details=details)
    _tell_owner(case, reason, user)


def _tell_owner(case: Case, reason: str, requester: User) -> None:
    staff = agency_staff(case.owner_agency_id, [Role.CASEWORKER])
    notify(staff, "break_glass.read", case=case,
           params={"user": requester.username, "agency": requester.agency.code, "reason": reason})


def _reason_of(user: User, case: Case) -> str:
    row = db.session.execute(
        select(AuditEvent.break_glass_reason).where(
            AuditEvent.action.in_([GRANT, PENDING]), AuditEvent.purpose == "break_glass",
            AuditEvent.case_id == case.id, AuditEvent.actor_user_id == user.id)
        .order_by(AuditEvent.id.desc()).limit(1)
    ).scalar()
    return row or REASONS[0]


def _approved(request_id: str) -> bool:
    """One approval per request: a second one would stretch the hour."""
    since = utcnow() - timedelta(minutes=ACCESS_MINUTES)
    return any(details.get("request_id") == request_id for details in db.session.execute(
        select(AuditEvent.details).where(AuditEvent.action == APPROVED, AuditEvent.occurred_at >= since)).scalars())


def _pending_request(request_id: str | None) -> AuditEvent | None:
    if not request_id:
        return None
    rows = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == PENDING,
                                 AuditEvent.occurred_at >= utcnow() - timedelta(minutes=ACCESS_MINUTES))
    ).scalars()
    return next((row for row in rows if row.details.get("request_id") == request_id), None)


def _find_exactly_one(column: str, value: str, full_name: str) -> Case | None:
    """The one open file whose `column` and full name both equal what was typed, network-wide."""
    if column not in ("phone", "national_id"):
        raise InputError("column", "unknown_field")
    indexer = app_keys().blind_index
    try:
        wanted = indexer.normalize(column, value)
        digest = indexer.compute(column, value)
        wanted_name = indexer.normalize("full_name", full_name)
    except BlindIndexError:
        raise InputError("value", f"invalid_{column}") from None
    source = BLIND_INDEXED[column]
    candidates = db.session.execute(
        select(Case).join(CaseBlindIndex, CaseBlindIndex.case_id == Case.id)
        .where(CaseBlindIndex.column == column, CaseBlindIndex.value == digest,
               Case.status == CaseStatus.OPEN, Case.shredded_at.is_(None))
        .limit(200)
    ).scalars().all()
    matches = [c for c in candidates
               if _confirms(c.id, getattr(c, f"{source}_ct"), source, column, wanted)
               and _confirms(c.id, c.full_name_ct, "full_name", "full_name", wanted_name)]
    return matches[0] if len(matches) == 1 else None
