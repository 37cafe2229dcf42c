"""The observatory's report and the versions of its form (small cells suppressed: null)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ...services.observatory import PERIOD_PATTERN
from ...stats.suppression import SUPPRESS_BELOW
from .common import MAX_ID

HIDDEN = f"null: fewer than {SUPPRESS_BELOW} files, or hidden so that such a count cannot be worked out."


class ReportArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    period = fields.String(load_default=None, validate=validate.Regexp(PERIOD_PATTERN), metadata={
        "description": "A year (2027), a quarter (2027-Q2) or a month (2027-05), in the network's time zone; "
                       "default: the last whole quarter."})
    region_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID), metadata={
        "description": "One governorate (default: the whole country; a regional coordinator always gets hers)."})
    form_version = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID), metadata={
        "description": "The version of the form to count against (default: the newest)."})


class ColumnSchema(ma.Schema):
    code = fields.String(required=True, metadata={"description": "A category; _not_recorded, _other."})
    label = fields.String(required=True)


class RowSchema(ma.Schema):
    region_id = fields.Integer(required=True, allow_none=True)
    name = fields.String(required=True)
    cells = fields.List(fields.Integer(allow_none=True), required=True, metadata={"description": HIDDEN})
    total = fields.Integer(required=True, allow_none=True)
    trend = fields.List(fields.Integer(allow_none=True), required=True, metadata={
        "description": "Change since the previous period; null unless both periods' counts are shown."})
    total_trend = fields.Integer(required=True, allow_none=True)


class TableSchema(ma.Schema):
    key = fields.String(required=True)
    label = fields.String(required=True)
    multiple = fields.Boolean(required=True, metadata={"description": "A file may count in several columns."})
    columns = fields.List(fields.Nested(ColumnSchema), required=True)
    rows = fields.List(fields.Nested(RowSchema), required=True)
    totals = fields.Nested(RowSchema, required=True, allow_none=True)


class ReportSchema(ma.Schema):
    period = fields.String(required=True)
    previous_period = fields.String(required=True)
    version = fields.Integer(required=True)
    region_id = fields.Integer(required=True, allow_none=True)
    files = fields.Integer(required=True, allow_none=True, metadata={"description": HIDDEN})
    excluded_for_consent = fields.Integer(required=True, allow_none=True, metadata={"description": HIDDEN})
    threshold = fields.Integer(required=True)
    tables = fields.List(fields.Nested(TableSchema), required=True)


class CategorySchema(ma.Schema):
    code = fields.String(required=True)
    sources = fields.List(fields.String(), required=True)
    labels = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class IndicatorSchema(ma.Schema):
    key = fields.String(required=True)
    source = fields.String(required=True)
    labels = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    categories = fields.List(fields.Nested(CategorySchema), required=True)


class IndicatorSetSchema(ma.Schema):
    version = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    note = fields.String(required=True, allow_none=True)
    indicators = fields.List(fields.Nested(IndicatorSchema), required=True)


class HotCaseArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    closed = fields.Boolean(load_default=False, metadata={"description": "The closed hot cases instead of the open."})


class HotCaseSchema(ma.Schema):
    """A hot case as the governorate's coalition sees it: no name, no file number."""

    id = fields.Integer(required=True)
    number = fields.String(required=True, metadata={"description": "HC-00012: the hot case's own number."})
    region_id = fields.Integer(required=True, allow_none=True)
    reason = fields.String(required=True, metadata={"description": "high_risk, repeated_violence or service_failure."})
    flagged_at = fields.DateTime(required=True)
    review_every_days = fields.Integer(required=True)
    next_review_at = fields.DateTime(required=True)
    review_due = fields.Boolean(required=True)
    closed_at = fields.DateTime(required=True, allow_none=True)
    version = fields.Integer(required=True)
    violence_type = fields.String(required=True, allow_none=True)
    age_band = fields.String(required=True, allow_none=True)
    risk_level = fields.String(required=True, allow_none=True)
    open_referrals = fields.Integer(required=True)
    overdue_steps = fields.Integer(required=True)


class HotCaseStepSchema(ma.Schema):
    action = fields.String(required=True)
    to_status = fields.String(required=True, allow_none=True)
    occurred_at = fields.DateTime(required=True)


class HotCaseOverdueSchema(ma.Schema):
    step = fields.String(required=True)
    due_at = fields.DateTime(required=True)


class HotCaseReferralSchema(ma.Schema):
    reference = fields.String(required=True)
    need = fields.String(required=True)
    from_agency = fields.String(required=True)
    to_agency = fields.String(required=True)
    status = fields.String(required=True)
    next_due_at = fields.DateTime(required=True, allow_none=True)
    steps = fields.List(fields.Nested(HotCaseStepSchema), required=True)
    overdue = fields.List(fields.Nested(HotCaseOverdueSchema), required=True)


class HotCaseDecisionSchema(ma.Schema):
    kind = fields.String(required=True)
    text = fields.String(required=True, allow_none=True)
    decided_at = fields.DateTime(required=True)
    decided_by = fields.String(required=True)
    next_review_at = fields.DateTime(required=True, allow_none=True)


class HotCaseDetailSchema(HotCaseSchema):
    comment = fields.String(required=True, allow_none=True)
    referrals = fields.List(fields.Nested(HotCaseReferralSchema), required=True)
    decisions = fields.List(fields.Nested(HotCaseDecisionSchema), required=True)
