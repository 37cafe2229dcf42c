"""Follow-ups and appointments on a file (issue 20, part 2): set by her association, assigned to one
of its caseworkers, due at a time typed in the agency's zone; the assignee is reminded once,
without any survivor data; the note is encrypted under the file's key."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import selectinload

from ..audit.log import record
from ..extensions import db
from ..models import Case, CaseTask, User, UserRole
from ..models.base import utcnow, uuid7
from ..models.task import TASK_KINDS
from ..models.vocab import Role
from ..policy import Action, PermissionDenied, require
from ..security.case_crypto import seal, unseal_text
from .errors import InputError

#: How long before a task is due its assignee is reminded.
REMIND_BEFORE = timedelta(hours=1)
NOTE_MAX = 2000


def agency_zone(agency) -> ZoneInfo:
    return ZoneInfo(agency.timezone or current_app.config["DEFAULT_TIMEZONE"])


def require_owner(user: User, case: Case) -> None:
    if require(user, Action.CASE_NOTE, case).relation != "owner":
        raise PermissionDenied(Action.CASE_NOTE, "follow-ups are her association's", case)


def assignable(case: Case) -> list[User]:
    """The active caseworkers of the file's association."""
    return db.session.execute(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(User.agency_id == case.owner_agency_id, User.active.is_(True), UserRole.role == Role.CASEWORKER)
        .order_by(User.display_name, User.id)).scalars().unique().all()


def add_task(user: User, case: Case, *, kind: str, due_local: datetime | None, assignee_id: int | None,
             note: str | None) -> CaseTask:
    """`due_local` is a wall-clock time in the association's zone (as typed)."""
    require_owner(user, case)
    if kind not in TASK_KINDS:
        raise InputError("kind", "unknown_value")
    if due_local is None:
        raise InputError("due_at", "required")
    if assignee_id not in {u.id for u in assignable(case)}:
        raise InputError("assignee_id", "unknown_value")
    if note and len(note) > NOTE_MAX:
        raise InputError("note", "too_long")
    due_at = due_local.replace(tzinfo=agency_zone(case.owner_agency)).astimezone(ZoneInfo("UTC"))
    task = CaseTask(id=uuid7(), case_id=case.id, kind=kind, due_at=due_at, assignee_id=assignee_id,
                    created_by_id=user.id, created_at=utcnow(), status="open")
    task.note_ct = seal(case.id, "case_tasks", "note", task.id, note or None)
    db.session.add(task)
    case.last_activity_at = task.created_at
    record("task.create", object_type="case_task", object_id=task.id, case_id=case.id,
           fields=["note"] if note else [], details={"kind": kind, "assignee_id": assignee_id})
    return task


def close_task(user: User, case: Case, task_id: uuid.UUID | str, status: str) -> CaseTask:
    require_owner(user, case)
    task = db.session.get(CaseTask, task_id if isinstance(task_id, uuid.UUID) else uuid.UUID(str(task_id)))
    if task is None or task.case_id != case.id:
        raise InputError("task", "unknown_value")
    if status not in ("done", "cancelled") or task.status != "open":
        raise InputError("task", "not_open")
    task.status, task.closed_at, task.closed_by_id = status, utcnow(), user.id
    record(f"task.{status}", object_type="case_task", object_id=task.id, case_id=case.id)
    return task


#: Built once (CONTRIBUTING.md, "Statements a page runs on every visit").
_TASKS_OF_CASE = (select(CaseTask).where(CaseTask.case_id == bindparam("case_id"))
                  .options(selectinload(CaseTask.assignee).lazyload(User.role_rows))
                  .order_by(CaseTask.status != "open", CaseTask.due_at))


def tasks_of_case(user: User, case: Case) -> list[tuple[CaseTask, str | None]]:
    """The file's follow-ups, open ones first, with their notes (the read is logged)."""
    require_owner(user, case)
    tasks = db.session.execute(_TASKS_OF_CASE, {"case_id": case.id}).scalars().all()
    if case.shredded_at is not None:
        return [(t, None) for t in tasks]
    with_notes = [t for t in tasks if t.note_ct]
    if with_notes:
        record("task.read", object_type="case", object_id=case.id, case_id=case.id, fields=["note"],
               details={"count": len(with_notes)})
    return [(t, unseal_text(case.id, "case_tasks", "note", t.id, t.note_ct)) for t in tasks]


def my_tasks_today(user: User, now: datetime | None = None) -> list[CaseTask]:
    """Her open tasks due by the end of today in her agency's zone (overdue ones included)."""
    now = now or utcnow()
    zone = agency_zone(user.agency)
    end_of_day = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), datetime.min.time(), zone)
    return db.session.execute(
        select(CaseTask).where(CaseTask.assignee_id == user.id, CaseTask.status == "open",
                               CaseTask.due_at < end_of_day)
        .options(selectinload(CaseTask.case)).order_by(CaseTask.due_at).limit(50)).scalars().all()


def send_reminders(now: datetime | None = None) -> int:
    """Remind each assignee once, shortly before the task is due: the file number and the time
    only. Safe to re-run: a task is claimed by the same statement that marks it reminded."""
    from ..notifications import notify

    now = now or utcnow()
    claimed = db.session.execute(
        update(CaseTask).where(CaseTask.id.in_(
            select(CaseTask.id).where(CaseTask.status == "open", CaseTask.reminded_at.is_(None),
                                      CaseTask.due_at <= now + REMIND_BEFORE).limit(500).scalar_subquery()),
            CaseTask.reminded_at.is_(None))
        .values(reminded_at=now).returning(CaseTask.id).execution_options(synchronize_session=False)).scalars().all()
    for task in db.session.execute(select(CaseTask).where(CaseTask.id.in_(claimed))).scalars():
        case, assignee = task.case, task.assignee
        if not assignee.active:
            continue
        at = task.due_at.astimezone(agency_zone(assignee.agency)).strftime("%H:%M")
        notify([assignee], "task.due", case=case, params={"at": at, "kind": task.kind})
    return len(claimed)
