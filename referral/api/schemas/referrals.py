"""Referrals: creating one for a file, reading it, listing a box, firing a transition."""

from __future__ import annotations

from datetime import UTC

import marshmallow as ma
from marshmallow import fields, validate

from ...models.vocab import DeclineReason, ReferralStatus, ServiceCategory, SharedField, Urgency
from ...workflows.definition import TRANSITIONS
from .cases import IdentitySchema
from .common import AgencyRefSchema, Id, PageArgsSchema, PageSchema, Text, choice, in_range_datetime


class ReferralCreateSchema(ma.Schema):
    service_id = Id(required=True, metadata={"description": "A service of the directory (GET /api/v1/services)."})
    urgency = choice(Urgency, required=True)
    shared_fields = fields.List(choice(SharedField), load_default=list, validate=validate.Length(max=len(SharedField)),
                                metadata={"description": "Field groups the recipient may read; within consent."})
    message = Text(allow_none=True, load_default=None, validate=validate.Length(max=5000))
    assault_at = fields.AwareDateTime(default_timezone=UTC, allow_none=True, load_default=None,
                                      validate=in_range_datetime,
                                      metadata={"description": "Post-rape care: when the assault happened."})


class BoxArgsSchema(PageArgsSchema):
    box = fields.String(required=True, validate=validate.OneOf(["inbox", "outbox"]))
    state = fields.String(load_default="open", validate=validate.OneOf(["open", "closed", "back"]), metadata={
        "description": "open or closed referrals; back: declined or returned ones not yet sent on (outbox)."})


class ReferralSummarySchema(ma.Schema):
    id = fields.UUID(required=True)
    reference = fields.String(required=True)
    case_id = fields.UUID(required=True)
    status = choice(ReferralStatus, required=True)
    urgency = choice(Urgency, required=True)
    need = choice(ServiceCategory, required=True)
    service_id = fields.Integer(required=True, allow_none=True)
    from_agency = fields.Nested(AgencyRefSchema, required=True)
    to_agency = fields.Nested(AgencyRefSchema, required=True)
    is_open = fields.Boolean(required=True)
    version = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    sent_at = fields.DateTime(required=True, allow_none=True)
    next_due_at = fields.DateTime(required=True, allow_none=True)
    decline_reason = fields.String(required=True, allow_none=True)


class ReferralPageSchema(PageSchema):
    items = fields.List(fields.Nested(ReferralSummarySchema), required=True)


class HistorySchema(ma.Schema):
    action = fields.String(required=True)
    from_status = fields.String(required=True, allow_none=True)
    to_status = fields.String(required=True)
    occurred_at = fields.DateTime(required=True)
    actor_agency_id = fields.Integer(required=True, allow_none=True)
    reason = fields.String(required=True, allow_none=True)
    comment = fields.String(required=True, allow_none=True)


class TimerSchema(ma.Schema):
    kind = fields.String(required=True)
    clock = fields.String(required=True)
    state = fields.String(required=True)
    due_at = fields.DateTime(required=True)
    met_at = fields.DateTime(required=True, allow_none=True)
    breached_at = fields.DateTime(required=True, allow_none=True)


class ReferralDetailSchema(ReferralSummarySchema):
    relation = fields.String(required=True, metadata={"enum": ["sender", "recipient", "oversight"]})
    actions = fields.List(fields.String(), required=True,
                          metadata={"description": "Transitions the caller may fire now."})
    shared_fields = fields.List(fields.String(), required=True)
    assault_at = fields.DateTime(required=True, allow_none=True)
    acknowledged_at = fields.DateTime(required=True, allow_none=True)
    decided_at = fields.DateTime(required=True, allow_none=True)
    first_action_at = fields.DateTime(required=True, allow_none=True)
    completed_at = fields.DateTime(required=True, allow_none=True)
    identity = fields.Nested(IdentitySchema, required=True)
    message = fields.String(required=True, allow_none=True)
    outcome = fields.String(required=True, allow_none=True)
    access_ended = fields.String(required=True, allow_none=True, metadata={
        "description": "For the receiving agency: why its access to the survivor's data has ended "
                       "(declined, withdrawn, returned, completed, file_closed, no_consent), else null."})
    access_until = fields.DateTime(required=True, allow_none=True, metadata={
        "description": "For the receiving agency of a completed referral: when its access ends."})
    history = fields.List(fields.Nested(HistorySchema), required=True)
    timers = fields.List(fields.Nested(TimerSchema), required=True)


class TransitionSchema(ma.Schema):
    action = fields.String(required=True, validate=validate.OneOf(sorted(TRANSITIONS)))
    reason = choice(DeclineReason, allow_none=True, load_default=None,
                    metadata={"description": "Required to decline or return."})
    message = Text(allow_none=True, load_default=None, validate=validate.Length(max=5000), metadata={
        "description": "Required to complete (the outcome), to request or provide information."})
