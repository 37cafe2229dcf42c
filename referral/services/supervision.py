"""Supervisor approvals of casework (issue 20, part 3).

An association chooses which steps of casework need its supervisor's approval: closing a file, her
plan. The supervisor is the association's lead (the role that already approves account changes in
her own agency, granted under the two-person rule), never the person who asked. While a request
waits, the file stays usable; approving a closure closes the file as the caseworker asked;
returning it sends her the supervisor's comments. Everything is on the file's timeline and in the
access log; what the two write is sealed under the file's key.
"""

from __future__ import annotations

from sqlalchemy import bindparam, delete, select

from ..audit.log import record
from ..extensions import db
from ..models import Case, CaseGoal, CaseworkApproval, CaseworkStep, User, UserRole
from ..models.approval import CASEWORK_STEPS
from ..models.base import utcnow
from ..models.vocab import ApprovalStatus, CaseStatus, ClosureReason, Role, ServiceCategory
from ..notifications import notify
from ..policy import Action, PermissionDenied, require
from ..security.case_crypto import seal, unseal_text
from . import cases
from .approval_steps import needs_approval, steps_of
from .errors import InputError
from .timeline import add_case_event

COMMENT_MAX = 2000


def is_supervisor(user: User, agency_id: int) -> bool:
    return user.active and user.agency_id == agency_id and user.has_role(Role.LEAD)


def set_steps(user: User, steps: list[str]) -> set[str]:
    """A supervisor chooses the steps of her association that need approval."""
    require(user, Action.ACCOUNTS_APPROVE)
    if not is_supervisor(user, user.agency_id):
        raise PermissionDenied(Action.ACCOUNTS_APPROVE, "only a lead of the association", None)
    wanted = set(steps or ())
    if wanted - set(CASEWORK_STEPS):
        raise InputError("steps", "unknown_value")
    before = steps_of(user.agency_id)
    db.session.execute(delete(CaseworkStep).where(CaseworkStep.agency_id == user.agency_id))
    db.session.add_all(CaseworkStep(agency_id=user.agency_id, step=step) for step in sorted(wanted))
    if wanted != before:
        record("supervision.steps", object_type="agency", object_id=user.agency_id,
               details={"steps": sorted(wanted), "before": sorted(before)})
    return wanted


def supervisors(agency_id: int, *, besides: int | None = None) -> list[User]:
    return [u for u in db.session.execute(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(User.agency_id == agency_id, User.active.is_(True), UserRole.role == Role.LEAD)
        .order_by(User.id)).scalars().unique() if u.id != besides]


def pending_of_case(case: Case) -> list[CaseworkApproval]:
    return db.session.execute(select(CaseworkApproval).where(CaseworkApproval.case_id == case.id,
                                                             CaseworkApproval.status == ApprovalStatus.PENDING)
                              .order_by(CaseworkApproval.requested_at)).scalars().all()


#: Built once (CONTRIBUTING.md, "Statements a page runs on every visit").
_RECENT_OF_CASE = (select(CaseworkApproval).where(CaseworkApproval.case_id == bindparam("case_id"))
                   .order_by(CaseworkApproval.status != ApprovalStatus.PENDING, CaseworkApproval.requested_at.desc())
                   .limit(bindparam("limit")))


def recent_of_case(case: Case, limit: int = 5) -> list[CaseworkApproval]:
    """The file's requests, pending first, then the latest decided (their comments are the point)."""
    return db.session.execute(_RECENT_OF_CASE, {"case_id": case.id, "limit": limit}).scalars().all()


def waiting_for(user: User) -> list[CaseworkApproval]:
    """What waits for this supervisor: her association's requests, not her own."""
    if not user.has_role(Role.LEAD):
        return []
    return db.session.execute(
        select(CaseworkApproval).where(CaseworkApproval.agency_id == user.agency_id,
                                       CaseworkApproval.status == ApprovalStatus.PENDING,
                                       CaseworkApproval.requested_by_id != user.id)
        .order_by(CaseworkApproval.requested_at).limit(200)).scalars().all()


def _open_request(user: User, case: Case, step: str, payload: dict, comment: str | None) -> CaseworkApproval:
    if case.status != CaseStatus.OPEN and step != "shred_request":  # a closed file may still be erased
        raise InputError("status", "closed")
    if any(a.step == step for a in pending_of_case(case)):
        raise InputError("status", "approval_pending")
    if not supervisors(case.owner_agency_id, besides=user.id):
        raise InputError("status", "no_supervisor")
    approval = CaseworkApproval(case_id=case.id, agency_id=case.owner_agency_id, step=step, payload=payload,
                                requested_by_id=user.id, requested_at=utcnow(), status=ApprovalStatus.PENDING)
    db.session.add(approval)
    db.session.flush([approval])
    if comment:
        approval.request_comment_ct = seal(case.id, "casework_approvals", "request_comment", approval.id, comment)
    case.last_activity_at = approval.requested_at
    add_case_event(user, case, f"{step}_requested", {}, None, approval.requested_at)
    record("supervision.request", object_type="casework_approval", object_id=approval.id, case_id=case.id,
           fields=["request_comment"] if comment else [], details={"step": step})
    notify(supervisors(case.owner_agency_id, besides=user.id), "supervision.requested", case=case,
           params={"step": step})
    return approval


def request_closure(user: User, case: Case, reason: str, comment: str | None, services_received: list[str]):
    """What close_case would check, then a request instead of the closure."""
    from .plan import open_goal_count

    require(user, Action.CASE_CLOSE, case)
    if reason not in {r.value for r in ClosureReason}:
        raise InputError("reason", "unknown_value")
    received = [c.value for c in ServiceCategory if c.value in set(services_received or ())]
    if set(services_received or ()) - set(received):
        raise InputError("services_received", "unknown_value")
    comment = (comment or "").strip() or None
    if open_goal_count(case) and not comment:
        raise InputError("comment", "open_goals")
    return _open_request(user, case, "case_close", {"reason": reason, "services_received": received}, comment)


def request_plan_approval(user: User, case: Case) -> CaseworkApproval:
    """Her plan as it stands now (each goal's version) goes to the supervisor."""
    from .plan import require_owner

    require_owner(user, case)
    goals = db.session.execute(select(CaseGoal).where(CaseGoal.case_id == case.id, CaseGoal.status == "open")
                               .order_by(CaseGoal.created_at)).scalars().all()
    if not goals:
        raise InputError("plan", "no_goal")
    return _open_request(user, case, "case_plan", {"goals": {str(g.id): g.version for g in goals}}, None)


def request_erasure(user: User, case: Case) -> CaseworkApproval:
    """She asks that her file be erased. Where the association supervises erasure requests, a
    lead approves it first; then the network's administrator carries it out (the only role that
    may destroy a file's key, and one that never reads it)."""
    from .plan import require_owner

    require_owner(user, case)
    if case.shredded_at is not None:
        raise InputError("status", "already_erased")
    pending = db.session.execute(select(CaseworkApproval.id).where(
        CaseworkApproval.case_id == case.id, CaseworkApproval.step == "shred_request",
        CaseworkApproval.carried_out_at.is_(None),
        CaseworkApproval.status.in_((ApprovalStatus.PENDING, ApprovalStatus.APPROVED)))).first()
    if pending is not None:
        raise InputError("status", "approval_pending")
    if needs_approval(case, "shred_request"):
        return _open_request(user, case, "shred_request", {}, None)
    now = utcnow()
    approval = CaseworkApproval(case_id=case.id, agency_id=case.owner_agency_id, step="shred_request", payload={},
                                requested_by_id=user.id, requested_at=now, status=ApprovalStatus.APPROVED,
                                decided_at=now)
    db.session.add(approval)
    db.session.flush([approval])
    add_case_event(user, case, "shred_request_requested", {}, None, now)
    record("supervision.request", object_type="casework_approval", object_id=approval.id, case_id=case.id,
           details={"step": "shred_request", "supervised": False})
    _tell_administrators(case)
    return approval


def _tell_administrators(case: Case) -> None:
    admins = db.session.execute(select(User).join(UserRole, UserRole.user_id == User.id)
                                .where(User.active.is_(True), UserRole.role == Role.ADMIN)).scalars().unique().all()
    notify(admins, "erasure.requested", case=case, path="/admin/erasures")


def erasures_to_carry_out(user: User) -> list[CaseworkApproval]:
    require(user, Action.CASE_ERASE)
    return db.session.execute(
        select(CaseworkApproval).where(CaseworkApproval.step == "shred_request",
                                       CaseworkApproval.status == ApprovalStatus.APPROVED,
                                       CaseworkApproval.carried_out_at.is_(None))
        .order_by(CaseworkApproval.decided_at).limit(500)).scalars().all()


def carry_out_erasure(user: User, approval: CaseworkApproval, typed_number: str) -> Case:
    """The administrator erases the file, typing its number to confirm: nothing of her can be read again."""
    from .erasure import ShredError, shred_case

    require(user, Action.CASE_ERASE)
    if approval.step != "shred_request" or approval.status != ApprovalStatus.APPROVED or approval.carried_out_at:
        raise InputError("approval", "already_decided")
    case = db.session.get(Case, approval.case_id)
    if (typed_number or "").strip().upper() != case.case_number:
        raise InputError("case_number", "confirm_number")
    try:
        shred_case(case.case_number)
    except ShredError:
        raise InputError("status", "already_erased") from None
    approval.carried_out_at = utcnow()
    record("supervision.erasure_done", object_type="casework_approval", object_id=approval.id, case_id=case.id,
           details={"case_number": case.case_number})
    return case


def decide(user: User, approval: CaseworkApproval, *, approve: bool, comment: str | None) -> CaseworkApproval:
    """Approve (a closure closes the file as she asked), or return it with comments. Never one's own."""
    case = db.session.get(Case, approval.case_id)
    require(user, Action.CASE_READ, case)
    if not is_supervisor(user, approval.agency_id):
        raise PermissionDenied(Action.ACCOUNTS_APPROVE, "only a lead of the association decides", case)
    if approval.requested_by_id == user.id:
        raise PermissionDenied(Action.ACCOUNTS_APPROVE, "a second person decides", case)
    if approval.status != ApprovalStatus.PENDING:
        raise InputError("approval", "already_decided")
    comment = (comment or "").strip() or None
    if comment and len(comment) > COMMENT_MAX:
        raise InputError("comment", "too_long")
    if not approve and not comment:
        raise InputError("comment", "required")  # returned without a word, she cannot act on it
    if case.status != CaseStatus.OPEN and approval.step != "shred_request":
        raise InputError("status", "closed")
    now = utcnow()
    if approve and approval.step == "case_close":
        request_comment = unseal_text(case.id, "casework_approvals", "request_comment", approval.id,
                                      approval.request_comment_ct) if approval.request_comment_ct else None
        cases.close_case(user, case, approval.payload["reason"], request_comment,
                         services_received=approval.payload.get("services_received") or [], approved=True)
    if approve and approval.step == "case_plan":
        current = {str(g.id): g.version for g in db.session.execute(
            select(CaseGoal).where(CaseGoal.case_id == case.id, CaseGoal.status == "open")).scalars()}
        if current != approval.payload.get("goals"):
            raise InputError("approval", "plan_changed")
    approval.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REFUSED
    approval.decided_by_id, approval.decided_at = user.id, now
    if comment:
        approval.decision_comment_ct = seal(case.id, "casework_approvals", "decision_comment", approval.id, comment)
    outcome = "approved" if approve else "returned"
    add_case_event(user, case, f"{approval.step}_{outcome}", {}, comment, now)
    record(f"supervision.{outcome}", object_type="casework_approval", object_id=approval.id, case_id=case.id,
           fields=["decision_comment"] if comment else [], details={"step": approval.step})
    if approval.requested_by is not None and approval.requested_by.active:
        notify([approval.requested_by], "supervision.decided", case=case,
               params={"step": approval.step, "outcome": outcome})
    if approve and approval.step == "shred_request":
        _tell_administrators(case)
    return approval


def comments_of(approval: CaseworkApproval) -> tuple[str | None, str | None]:
    """What the caseworker wrote with her request and what the supervisor answered (owner's file page)."""
    case_id = approval.case_id
    if approval.case.shredded_at is not None:
        return None, None
    return (unseal_text(case_id, "casework_approvals", "request_comment", approval.id, approval.request_comment_ct)
            if approval.request_comment_ct else None,
            unseal_text(case_id, "casework_approvals", "decision_comment", approval.id, approval.decision_comment_ct)
            if approval.decision_comment_ct else None)


def find(approval_id: int) -> CaseworkApproval | None:
    return db.session.get(CaseworkApproval, approval_id)
