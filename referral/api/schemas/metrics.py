"""Coordinators' response-time statistics (small cells suppressed)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ...models.vocab import ServiceCategory, Urgency
from ...services.metrics import DIMENSIONS, SUPPRESS_BELOW
from .common import MAX_ID, choice


class MetricsArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    by = fields.String(load_default="agency", validate=validate.OneOf(DIMENSIONS),
                       metadata={"description": "Group by receiving agency, service category, region or urgency."})
    date_from = fields.Date(load_default=None, metadata={"description": "First UTC day (default: 90 days ago)."})
    date_to = fields.Date(load_default=None, metadata={"description": "Last UTC day, included (default: today)."})
    region_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    agency_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    category = choice(ServiceCategory, load_default=None)
    urgency = choice(Urgency, load_default=None)


class DurationSchema(ma.Schema):
    count = fields.Integer(required=True, allow_none=True)
    median_minutes = fields.Float(required=True, allow_none=True)
    p90_minutes = fields.Float(required=True, allow_none=True)
    suppressed = fields.Boolean(required=True)
    estimated = fields.Boolean(required=True, metadata={
        "description": "The median and 90th percentile were estimated from daily histograms (large populations): "
                       "within 10 % of the exact value, usually within 2 %."})


class GroupSchema(ma.Schema):
    key = fields.Raw(required=True, allow_none=True,
                     metadata={"description": "Agency id, category, region id or urgency; null for totals."})
    name = fields.String(required=True, allow_none=True)
    suppressed = fields.Boolean(required=True, metadata={
        "description": f"Fewer than {SUPPRESS_BELOW} referrals: no figures are shown."})
    sent = fields.Integer(required=True, allow_none=True)
    open = fields.Integer(required=True, allow_none=True)
    overdue = fields.Integer(required=True, allow_none=True)
    breached = fields.Integer(required=True, allow_none=True)
    breach_rate = fields.Float(required=True, allow_none=True)
    durations = fields.Dict(keys=fields.String(), values=fields.Nested(DurationSchema), required=True, metadata={
        "description": "Minutes from sending to acknowledge, decide, first_action and complete."})


class ResponseTimesSchema(ma.Schema):
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)
    by = fields.String(required=True)
    totals = fields.Nested(GroupSchema, required=True)
    groups = fields.List(fields.Nested(GroupSchema), required=True)
