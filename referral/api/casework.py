"""The caseworker's work on a file through the API (issue 20, part 7): her plan, follow-ups,
messages about a referral and the closure with its outcome, over the same services and policy as
the file page (a recipient never reaches the plan or the follow-ups)."""

from __future__ import annotations

from flask import g

from ..models import Referral
from ..policy import Action
from ..services import cases, notes, plan, supervision, tasks
from ..services.cases import StaleCase
from ..services.records import flush
from .access import guard, load_case, load_referral
from .base import ApiBlueprint
from .cases import case_dict
from .schemas.cases import CaseSchema
from .schemas.casework import (
    CloseInputSchema,
    GoalCloseSchema,
    GoalInputSchema,
    GoalListSchema,
    GoalSchema,
    GoalUpdateSchema,
    MessageInputSchema,
    MessageListSchema,
    MessageSchema,
    TaskCloseSchema,
    TaskInputSchema,
    TaskListSchema,
    TaskSchema,
)

bp = ApiBlueprint("casework", __name__, url_prefix="/v1", tag="casework",
                  description="Her plan, follow-ups, messages about a referral, and the closure of her file.")


def _goal_body(view: plan.GoalView) -> dict:
    goal = view.goal
    return {"id": goal.id, "area": goal.area, "goal": view.text, "actions": view.actions, "by_whom": goal.by_whom,
            "referral_id": goal.referral_id, "target_on": goal.target_on, "status": goal.status,
            "closing_note": view.closing_note, "version": goal.version}


def _goal_view(case, goal_id) -> dict:
    flush()
    return next(_goal_body(v) for v in plan.goals_of_case(g.user, case) if v.goal.id == goal_id)


def _values(data: dict) -> dict:
    return {**data, "actions": "\n".join(data.get("actions") or [])}


@bp.route("/cases/<uuid:case_id>/goals", methods=["GET"])
@bp.response(200, GoalListSchema)
@bp.problems(401, 403, 404)
def list_goals(case_id):
    """Her plan: the goals agreed with her (her association only)"""
    case, _access = load_case(case_id, Action.CASE_UPDATE)
    return {"items": [_goal_body(v) for v in plan.goals_of_case(g.user, case)]}


@bp.route("/cases/<uuid:case_id>/goals", methods=["POST"])
@bp.arguments(GoalInputSchema)
@bp.response(201, GoalSchema)
@bp.problems(401, 403, 404, 422)
def add_goal(data, case_id):
    """Add a goal agreed with her"""
    case, _access = load_case(case_id, Action.CASE_UPDATE)
    goal = plan.add_goal(g.user, case, _values(data))
    return _goal_view(case, goal.id), 201


@bp.route("/cases/<uuid:case_id>/goals/<uuid:goal_id>", methods=["PUT"])
@bp.arguments(GoalUpdateSchema)
@bp.response(200, GoalSchema)
@bp.problems(401, 403, 404, 412, 422)
def update_goal(data, case_id, goal_id):
    """Change a goal: send the version you read (a stale one answers 412 and changes nothing)"""
    case, _access = load_case(case_id, Action.CASE_UPDATE)
    version = data.pop("version")
    plan.update_goal(g.user, case, goal_id, _values(data), expected_version=version)
    return _goal_view(case, goal_id)


@bp.route("/cases/<uuid:case_id>/goals/<uuid:goal_id>/close", methods=["POST"])
@bp.arguments(GoalCloseSchema)
@bp.response(200, GoalSchema)
@bp.problems(401, 403, 404, 412, 422)
def close_goal(data, case_id, goal_id):
    """Mark a goal achieved, or drop it with a reason"""
    case, _access = load_case(case_id, Action.CASE_UPDATE)
    plan.close_goal(g.user, case, goal_id, data["status"], data["note"], expected_version=data["version"])
    return _goal_view(case, goal_id)


def _task_body(task, note) -> dict:
    return {"id": task.id, "kind": task.kind, "due_at": task.due_at, "assignee_id": task.assignee_id,
            "status": task.status, "note": note}


@bp.route("/cases/<uuid:case_id>/tasks", methods=["GET"])
@bp.response(200, TaskListSchema)
@bp.problems(401, 403, 404)
def list_tasks(case_id):
    """Her follow-ups and appointments (her association only)"""
    case, _access = load_case(case_id, Action.CASE_NOTE)
    return {"items": [_task_body(t, n) for t, n in tasks.tasks_of_case(g.user, case)]}


@bp.route("/cases/<uuid:case_id>/tasks", methods=["POST"])
@bp.arguments(TaskInputSchema)
@bp.response(201, TaskSchema)
@bp.problems(401, 403, 404, 422)
def add_task(data, case_id):
    """Plan a follow-up for a caseworker of the association, at a local time"""
    case, _access = load_case(case_id, Action.CASE_NOTE)
    task = tasks.add_task(g.user, case, **data)
    return _task_body(task, data["note"]), 201


@bp.route("/cases/<uuid:case_id>/tasks/<uuid:task_id>", methods=["POST"])
@bp.arguments(TaskCloseSchema)
@bp.response(200, TaskSchema)
@bp.problems(401, 403, 404, 422)
def close_task(data, case_id, task_id):
    """Mark a follow-up done or cancelled"""
    case, _access = load_case(case_id, Action.CASE_NOTE)
    task = tasks.close_task(g.user, case, task_id, data["status"])
    return _task_body(task, None)


def _messages(referral: Referral) -> list[dict]:
    case = referral.case
    return [{"id": note.id, "created_at": note.created_at, "author": note.author.display_name,
             "from_your_agency": note.author_agency_id == g.user.agency_id, "body": body}
            for note, body in notes.visible_notes(g.user, case, referral=referral)]


@bp.route("/referrals/<uuid:referral_id>/messages", methods=["GET"])
@bp.response(200, MessageListSchema)
@bp.problems(401, 403, 404)
def list_messages(referral_id):
    """The messages between the sending caseworker and the receiving agency, within consent"""
    referral, _decision = load_referral(referral_id, Action.REFERRAL_READ)
    items = _messages(referral)
    notes.mark_messages_read(g.user, referral)
    return {"items": items}


@bp.route("/referrals/<uuid:referral_id>/messages", methods=["POST"])
@bp.arguments(MessageInputSchema)
@bp.response(201, MessageSchema)
@bp.problems(401, 403, 404, 422)
def post_message(data, referral_id):
    """Write to the other side of the referral (it is told, without the text)"""
    referral, _decision = load_referral(referral_id, Action.REFERRAL_READ)
    guard(Action.CASE_NOTE, referral.case)
    note = notes.add_note(g.user, referral.case, data["body"], referral=referral)
    return {"id": note.id, "created_at": note.created_at, "author": g.user.display_name,
            "from_your_agency": True, "body": data["body"]}, 201


@bp.route("/cases/<uuid:case_id>/close", methods=["POST"])
@bp.arguments(CloseInputSchema)
@bp.response(200, CaseSchema)
@bp.alt_response(202, schema=CaseSchema, description="Her association asks its supervisor to approve "
                 "closures: the request is sent, the file stays open until a lead approves it.")
@bp.problems(401, 403, 404, 412, 422)
def close_case(data, case_id):
    """Close her file with its outcome and the services she received (open goals need the comment)"""
    case, _access = load_case(case_id, Action.CASE_CLOSE)
    if data["version"] != case.version:
        raise StaleCase()
    if supervision.needs_approval(case, "case_close"):
        supervision.request_closure(g.user, case, data["reason"], data["comment"], data["services_received"])
        return case_dict(case), 202
    cases.close_case(g.user, case, data["reason"], data["comment"], services_received=data["services_received"])
    return case_dict(case)

