"""The service directory."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ...models.vocab import ServiceCategory
from .common import MAX_ID, AgencyRefSchema, choice


class ServiceArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    category = choice(ServiceCategory, load_default=None)
    region_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))


class ServiceNamesSchema(ma.Schema):
    ar = fields.String(required=True)
    fr = fields.String(required=True)
    en = fields.String(required=True)


class ServiceAgencySchema(AgencyRefSchema):
    kind = fields.String(required=True)
    open_24_7 = fields.Boolean(required=True)


class ServiceSchema(ma.Schema):
    id = fields.Integer(required=True)
    category = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "In the language of the answer."})
    names = fields.Nested(ServiceNamesSchema, required=True)
    description = fields.String(required=True, allow_none=True)
    agency = fields.Nested(ServiceAgencySchema, required=True)
    region_ids = fields.List(fields.Integer(), required=True)


class ServiceListSchema(ma.Schema):
    items = fields.List(fields.Nested(ServiceSchema), required=True)
