"""The case plan (issue 20, part 1): goals agreed with the survivor, written and read by her own
association only. Each goal's text, actions and closing note are sealed under the file's key;
each change bumps the goal's version (an edit made on an older one is refused), writes a timeline
event naming only the area, and an access-log event. Recipients of her referrals never see the
plan, nor its events on the timeline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func, select

from ..audit.log import record
from ..extensions import db
from ..models import Case, CaseGoal, Referral, User
from ..models.base import utcnow, uuid7
from ..models.plan import GOAL_AREAS, GOAL_OWNERS
from ..models.vocab import CaseStatus
from ..policy import Action, PermissionDenied, require
from ..security.case_crypto import seal, unseal_text
from .errors import InputError
from .timeline import add_case_event

GOAL_MAX, ACTIONS_MAX, NOTE_MAX = 500, 4000, 2000


class StaleGoal(ValueError):
    """The goal changed since the caseworker opened it."""


@dataclass(frozen=True)
class GoalView:
    goal: CaseGoal
    text: str | None
    actions: list[str]
    closing_note: str | None


def require_owner(user: User, case: Case) -> None:
    if require(user, Action.CASE_UPDATE, case).relation != "owner":
        raise PermissionDenied(Action.CASE_UPDATE, "the plan is her association's", case)


def _checked(case: Case, values: dict) -> dict:
    area = values.get("area")
    if area not in GOAL_AREAS:
        raise InputError("area", "unknown_value")
    text = (values.get("goal") or "").strip()
    if not text:
        raise InputError("goal", "required")
    if len(text) > GOAL_MAX:
        raise InputError("goal", "too_long")
    actions = (values.get("actions") or "").strip()
    if len(actions) > ACTIONS_MAX:
        raise InputError("actions", "too_long")
    by_whom = values.get("by_whom") or "association"
    if by_whom not in GOAL_OWNERS:
        raise InputError("by_whom", "unknown_value")
    referral_id = values.get("referral_id") if by_whom == "referral" else None
    if by_whom == "referral":
        referral = _referral_of(case, referral_id)
        if referral is None:
            raise InputError("referral_id", "required" if not referral_id else "unknown_value")
        referral_id = referral.id
    target_on = values.get("target_on")
    if target_on is not None and not isinstance(target_on, date):
        raise InputError("target_on", "unknown_value")
    return {"area": area, "text": text, "actions": actions or None, "by_whom": by_whom,
            "referral_id": referral_id, "target_on": target_on}


def _referral_of(case: Case, referral_id) -> Referral | None:
    """One of this file's own referrals (typed ids of another file's referrals find nothing)."""
    if not referral_id:
        return None
    try:
        key = referral_id if isinstance(referral_id, uuid.UUID) else uuid.UUID(str(referral_id))
    except ValueError:
        return None
    referral = db.session.get(Referral, key)
    return referral if referral is not None and referral.case_id == case.id else None


def _open_file(case: Case) -> None:
    if case.status != CaseStatus.OPEN:
        raise InputError("status", "closed")


def add_goal(user: User, case: Case, values: dict) -> CaseGoal:
    require_owner(user, case)
    _open_file(case)
    clean = _checked(case, values)
    now = utcnow()
    goal = CaseGoal(id=uuid7(), case_id=case.id, area=clean["area"], by_whom=clean["by_whom"],
                    referral_id=clean["referral_id"], target_on=clean["target_on"], status="open", version=1,
                    created_by_id=user.id, created_at=now, updated_at=now, goal_ct=b"")
    _seal_texts(case, goal, clean)
    db.session.add(goal)
    case.last_activity_at = now
    add_case_event(user, case, "goal_added", {"area": goal.area}, None, now)
    record("plan.goal_add", object_type="case_goal", object_id=goal.id, case_id=case.id,
           fields=["goal", "actions"] if clean["actions"] else ["goal"],
           details={"area": goal.area, "by_whom": goal.by_whom})
    return goal


def update_goal(user: User, case: Case, goal_id, values: dict, *, expected_version: int | None) -> CaseGoal:
    require_owner(user, case)
    _open_file(case)
    goal = _goal_of(case, goal_id)
    if expected_version != goal.version:
        raise StaleGoal()
    if goal.status != "open":
        raise InputError("goal", "not_open")
    clean = _checked(case, values)
    goal.area, goal.by_whom, goal.referral_id, goal.target_on = (clean["area"], clean["by_whom"],
                                                                 clean["referral_id"], clean["target_on"])
    _seal_texts(case, goal, clean)
    goal.version += 1
    goal.updated_at = case.last_activity_at = utcnow()
    add_case_event(user, case, "goal_updated", {"area": goal.area}, None, goal.updated_at)
    record("plan.goal_update", object_type="case_goal", object_id=goal.id, case_id=case.id,
           fields=["goal", "actions"], details={"area": goal.area, "version": goal.version})
    return goal


def close_goal(user: User, case: Case, goal_id, status: str, note: str | None, *,
               expected_version: int | None) -> CaseGoal:
    """Achieved, or dropped with a reason (a dropped goal without one says nothing to a colleague)."""
    require_owner(user, case)
    _open_file(case)
    goal = _goal_of(case, goal_id)
    if expected_version != goal.version:
        raise StaleGoal()
    if status not in ("achieved", "dropped") or goal.status != "open":
        raise InputError("goal", "not_open")
    note = (note or "").strip()
    if status == "dropped" and not note:
        raise InputError("note", "required")
    if len(note) > NOTE_MAX:
        raise InputError("note", "too_long")
    _close(user, case, goal, status, note or None)
    return goal


def _close(user: User, case: Case, goal: CaseGoal, status: str, note: str | None) -> None:
    goal.status, goal.closed_at = status, utcnow()
    goal.updated_at = case.last_activity_at = goal.closed_at
    goal.closing_note_ct = seal(case.id, "case_goals", "closing_note", goal.id, note) if note else None
    goal.version += 1
    add_case_event(user, case, f"goal_{status}", {"area": goal.area}, None, goal.closed_at)
    record(f"plan.goal_{status}", object_type="case_goal", object_id=goal.id, case_id=case.id,
           fields=["closing_note"] if note else [], details={"area": goal.area})


def drop_open_goals(user: User, case: Case, explanation: str) -> int:
    """At closure: the goals still open are dropped with the caseworker's explanation."""
    goals = db.session.execute(select(CaseGoal).where(CaseGoal.case_id == case.id, CaseGoal.status == "open")
                               .order_by(CaseGoal.created_at)).scalars().all()
    for goal in goals:
        _close(user, case, goal, "dropped", explanation)
    return len(goals)


def open_goal_count(case: Case) -> int:
    return db.session.scalar(select(func.count()).select_from(CaseGoal)
                             .where(CaseGoal.case_id == case.id, CaseGoal.status == "open")) or 0


#: Built once (CONTRIBUTING.md, "Statements a page runs on every visit").
_GOALS_OF_CASE = (select(CaseGoal).where(CaseGoal.case_id == bindparam("case_id"))
                  .order_by(CaseGoal.status != "open", CaseGoal.target_on.is_(None), CaseGoal.target_on,
                            CaseGoal.created_at))


def goals_of_case(user: User, case: Case) -> list[GoalView]:
    """The plan at a glance: open goals first, by target date; the read is logged."""
    require_owner(user, case)
    goals = db.session.execute(_GOALS_OF_CASE, {"case_id": case.id}).scalars().all()
    if not goals:
        return []
    if case.shredded_at is not None:
        return [GoalView(g, None, [], None) for g in goals]
    record("plan.read", object_type="case", object_id=case.id, case_id=case.id,
           fields=["goal", "actions", "closing_note"], details={"count": len(goals)})
    views = []
    for goal in goals:
        actions = unseal_text(case.id, "case_goals", "actions", goal.id, goal.actions_ct) if goal.actions_ct else ""
        views.append(GoalView(
            goal, unseal_text(case.id, "case_goals", "goal", goal.id, goal.goal_ct),
            [line.strip() for line in (actions or "").splitlines() if line.strip()],
            unseal_text(case.id, "case_goals", "closing_note", goal.id, goal.closing_note_ct)
            if goal.closing_note_ct else None))
    return views


def _goal_of(case: Case, goal_id) -> CaseGoal:
    try:
        key = goal_id if isinstance(goal_id, uuid.UUID) else uuid.UUID(str(goal_id))
    except ValueError:
        raise InputError("goal", "unknown_value") from None
    goal = db.session.get(CaseGoal, key)
    if goal is None or goal.case_id != case.id:
        raise InputError("goal", "unknown_value")
    return goal


def _seal_texts(case: Case, goal: CaseGoal, clean: dict) -> None:
    goal.goal_ct = seal(case.id, "case_goals", "goal", goal.id, clean["text"])
    goal.actions_ct = seal(case.id, "case_goals", "actions", goal.id, clean["actions"]) if clean["actions"] else None
