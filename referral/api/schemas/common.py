"""Shapes shared by every resource: problems, pages, ids, safe text, the If-Match header."""

from __future__ import annotations

from datetime import UTC, datetime

import marshmallow as ma
from marshmallow import fields, validate

#: Largest id a client may send: database integer columns are 32-bit on PostgreSQL.
MAX_ID = 2**31 - 1
#: Farthest page a client may ask for: deep offsets are slow; filter instead.
MAX_PAGE = 10_000
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


class Text(fields.String):
    """A string without NUL, other control characters (tab and newlines aside) or lone surrogates:
    databases refuse them, and no survivor field needs them."""

    default_error_messages = {"control": "Control characters are not allowed."}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if any((ord(c) < 32 and c not in "\t\r\n") or 0xD800 <= ord(c) <= 0xDFFF or ord(c) == 0x7F for c in text):
            raise self.make_error("control")
        return text


def Id(**kwargs) -> fields.Integer:  # noqa: N802  (reads like a field class)
    return fields.Integer(strict=kwargs.pop("strict", True), validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def choice(values, **kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf([getattr(v, "value", v) for v in values]), **kwargs)


def in_range_datetime(value: datetime) -> None:
    try:
        if not EARLIEST <= value <= LATEST:
            raise ma.ValidationError("Out of range.")
    except OverflowError:
        raise ma.ValidationError("Out of range.") from None


class FieldErrorSchema(ma.Schema):
    field = fields.String(required=True, metadata={"description": "The field in error (dotted path)."})
    location = fields.String(required=True, metadata={"description": "json, query, path or header."})
    code = fields.String(required=True, metadata={"description": "Stable error code."})
    message = fields.String(required=True, metadata={"description": "Translated message."})


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True, metadata={"description": "Stable problem type (urn:masar:problem:...)."})
    title = fields.String(required=True, metadata={"description": "Translated summary (Accept-Language)."})
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.List(fields.Nested(FieldErrorSchema), required=True)


class PageArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))


class PageSchema(ma.Schema):
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    next_page = fields.Integer(required=True, allow_none=True,
                               metadata={"description": "Number of the next page, or null on the last one."})


class IfMatchSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    if_match = fields.String(data_key="If-Match", load_default=None, validate=validate.Length(max=200),
                             metadata={"description": "The ETag read; a stale one answers 412 and changes nothing."})


class AgencyRefSchema(ma.Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)


def agency_ref(agency) -> dict:
    from ..locale import api_locale

    return {"id": agency.id, "code": agency.code, "name": agency.name(api_locale())}
