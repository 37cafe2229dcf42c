"""The caseworker's work on a file: her plan, follow-ups, messages about a referral, closure."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ...models.plan import GOAL_AREAS, GOAL_OWNERS
from ...models.task import TASK_KINDS
from ...models.vocab import ClosureReason, ServiceCategory
from .common import Text, choice
from .stays import Day


class GoalInputSchema(ma.Schema):
    area = choice(GOAL_AREAS, required=True)
    goal = Text(required=True, validate=validate.Length(min=1, max=500))
    actions = fields.List(Text(validate=validate.Length(min=1, max=500)), load_default=list,
                          validate=validate.Length(max=30))
    by_whom = choice(GOAL_OWNERS, load_default="association")
    referral_id = fields.UUID(load_default=None, metadata={"description": "One of this file's referrals."})
    target_on = Day(load_default=None)


class GoalUpdateSchema(GoalInputSchema):
    version = fields.Integer(required=True, metadata={"description": "The version you read: a stale one is 412."})


class GoalCloseSchema(ma.Schema):
    status = choice(("achieved", "dropped"), required=True)
    note = Text(load_default=None, validate=validate.Length(max=2000),
                metadata={"description": "Required to drop a goal."})
    version = fields.Integer(required=True)


class GoalSchema(ma.Schema):
    id = fields.UUID(required=True)
    area = fields.String(required=True)
    goal = fields.String(required=True, allow_none=True, metadata={"description": "None once the file is erased."})
    actions = fields.List(fields.String(), required=True)
    by_whom = fields.String(required=True)
    referral_id = fields.UUID(required=True, allow_none=True)
    target_on = fields.Date(required=True, allow_none=True)
    status = fields.String(required=True)
    closing_note = fields.String(required=True, allow_none=True)
    version = fields.Integer(required=True)


class GoalListSchema(ma.Schema):
    items = fields.List(fields.Nested(GoalSchema), required=True)


class TaskInputSchema(ma.Schema):
    kind = choice(TASK_KINDS, required=True)
    due_local = fields.NaiveDateTime(required=True, metadata={
        "description": "Wall-clock time in the association's time zone, without an offset (2027-06-17T09:30)."})
    assignee_id = fields.Integer(required=True, metadata={"description": "A caseworker of the association."})
    note = Text(load_default=None, validate=validate.Length(max=2000))


class TaskSchema(ma.Schema):
    id = fields.UUID(required=True)
    kind = fields.String(required=True)
    due_at = fields.AwareDateTime(required=True)
    assignee_id = fields.Integer(required=True)
    status = fields.String(required=True)
    note = fields.String(required=True, allow_none=True)


class TaskListSchema(ma.Schema):
    items = fields.List(fields.Nested(TaskSchema), required=True)


class TaskCloseSchema(ma.Schema):
    status = choice(("done", "cancelled"), required=True)


class MessageInputSchema(ma.Schema):
    body = Text(required=True, validate=validate.Length(min=1, max=20000))


class MessageSchema(ma.Schema):
    id = fields.UUID(required=True)
    created_at = fields.AwareDateTime(required=True)
    author = fields.String(required=True)
    from_your_agency = fields.Boolean(required=True)
    body = fields.String(required=True)


class MessageListSchema(ma.Schema):
    items = fields.List(fields.Nested(MessageSchema), required=True)


class CloseInputSchema(ma.Schema):
    reason = choice(ClosureReason, required=True, metadata={"description": "The outcome."})
    services_received = fields.List(choice(ServiceCategory), load_default=list)
    comment = Text(load_default=None, validate=validate.Length(max=2000), metadata={
        "description": "Required when goals of her plan are still open: they are dropped with it."})
    version = fields.Integer(required=True)
