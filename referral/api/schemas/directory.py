"""The service directory."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ...models.service import SERVICE_LANGUAGES
from ...models.vocab import ServiceCategory
from ...services.directory import ACCESSIBILITY
from .common import MAX_ID, AgencyRefSchema, choice


class ServiceArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    category = choice(ServiceCategory, load_default=None)
    region_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    language = choice(SERVICE_LANGUAGES, load_default=None,
                      metadata={"description": "Only services she can be received in this language (ISO 639)."})
    accessibility = fields.List(choice(ACCESSIBILITY), load_default=list,
                                metadata={"description": "Only agencies whose premises have all of these."})
    open_now = fields.Boolean(load_default=False, metadata={
        "description": "Only agencies open now: their hours in their time zone, minus holidays."})


class ServiceNamesSchema(ma.Schema):
    ar = fields.String(required=True)
    fr = fields.String(required=True)
    en = fields.String(required=True)


class ServiceAgencySchema(AgencyRefSchema):
    kind = fields.String(required=True)
    open_24_7 = fields.Boolean(required=True)
    open_now = fields.Boolean(required=True)
    phone = fields.String(required=True, allow_none=True)
    accessibility = fields.List(fields.String(), required=True)


class AvailabilitySchema(ma.Schema):
    beds_free = fields.Integer(required=True)
    child_places_free = fields.Integer(required=True)
    accessible_free = fields.Integer(required=True)


class ServiceSchema(ma.Schema):
    id = fields.Integer(required=True)
    category = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "In the language of the answer."})
    names = fields.Nested(ServiceNamesSchema, required=True)
    description = fields.String(required=True, allow_none=True)
    agency = fields.Nested(ServiceAgencySchema, required=True)
    region_ids = fields.List(fields.Integer(), required=True)
    languages = fields.List(fields.String(), required=True)
    availability = fields.Nested(AvailabilitySchema, required=True, allow_none=True, metadata={
        "description": "Places free now, for a service that declares places, to staff who may see them "
                       "(never with an address); null otherwise."})


class ServiceListSchema(ma.Schema):
    items = fields.List(fields.Nested(ServiceSchema), required=True)
