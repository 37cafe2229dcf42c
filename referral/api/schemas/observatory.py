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
