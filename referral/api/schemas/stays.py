"""Shelter places and stays under the Himaya protocol."""

from __future__ import annotations

from datetime import date

import marshmallow as ma
from marshmallow import fields, validate

from ...models.vocab import ExitDestination, ExitOutcome
from ...services.stays import MAX_CHILDREN, MAX_EXTENSION_DAYS
from .common import Text, choice

EARLIEST_DAY, LATEST_DAY = date(1990, 1, 1), date(2200, 1, 1)


def Day(**kwargs) -> fields.Date:  # noqa: N802  (reads like a field class)
    return fields.Date(validate=validate.Range(min=EARLIEST_DAY, max=LATEST_DAY), **kwargs)


class CapacitySchema(ma.Schema):
    service_id = fields.Integer(required=True)
    beds = fields.Integer(required=True)
    child_places = fields.Integer(required=True)
    accessible_rooms = fields.Integer(required=True)
    max_stay_days = fields.Integer(required=True)
    beds_free = fields.Integer(required=True)
    child_places_free = fields.Integer(required=True)
    accessible_free = fields.Integer(required=True)


class CapacityUpdateSchema(ma.Schema):
    beds = fields.Integer(required=True, validate=validate.Range(min=0, max=10_000))
    child_places = fields.Integer(required=True, validate=validate.Range(min=0, max=10_000))
    accessible_rooms = fields.Integer(required=True, validate=validate.Range(min=0, max=10_000))
    max_stay_days = fields.Integer(required=True, validate=validate.Range(min=1, max=3650))


class AdmitSchema(ma.Schema):
    admitted_on = Day(required=True)
    children = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_CHILDREN))
    accessible_room = fields.Boolean(load_default=False)


class GivenSchema(ma.Schema):
    code = Text(required=True, validate=validate.Length(min=1, max=64),
                metadata={"description": "An essential service of the protocol (GET /v1/stays/essential-services)."})
    given_on = Day(required=True)


class ExtensionRequestSchema(ma.Schema):
    days = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_EXTENSION_DAYS))


class ExitSchema(ma.Schema):
    exited_on = Day(required=True)
    destination = choice(ExitDestination, required=True)
    outcome = choice(ExitOutcome, required=True)


class GivenRowSchema(ma.Schema):
    code = fields.String(required=True)
    given_on = fields.Date(required=True)


class ExtensionRowSchema(ma.Schema):
    id = fields.Integer(required=True, allow_none=True)
    days = fields.Integer(required=True)
    status = fields.String(required=True)


class StaySchema(ma.Schema):
    """The shelter's record, or the sender's view of it (`view`): the sender never gets who gave a
    service, and the destination only when her consent covers her contact details; after a
    withdrawal of consent only that a stay exists and its status."""

    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    view = fields.String(required=True, validate=validate.OneOf(["shelter", "sender"]))
    within_consent = fields.Boolean(required=True)
    status = fields.String(required=True)
    admitted_on = fields.Date(allow_none=True)
    children = fields.Integer(allow_none=True)
    accessible_room = fields.Boolean(allow_none=True)
    ends_on = fields.Date(allow_none=True)
    given = fields.List(fields.Nested(GivenRowSchema), required=True)
    extensions = fields.List(fields.Nested(ExtensionRowSchema), required=True)
    due = fields.List(fields.Nested(GivenRowSchema), metadata={"description": "Shelter only: services due, by day."})
    exited_on = fields.Date(allow_none=True)
    exit_destination = fields.String(allow_none=True)
    exit_outcome = fields.String(allow_none=True)


class EssentialServiceSchema(ma.Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    due_within_days = fields.Integer(allow_none=True)
    for_children = fields.Boolean(required=True)


class EssentialServiceListSchema(ma.Schema):
    items = fields.List(fields.Nested(EssentialServiceSchema), required=True)


class OccupancyRowSchema(ma.Schema):
    service_id = fields.Integer(required=True)
    agency_code = fields.String(required=True)
    beds = fields.Integer(required=True)
    beds_free = fields.Integer(required=True)
    in_shelter = fields.Integer(required=True)
    average_days = fields.Float(allow_none=True)
    exits = fields.Integer(required=True)


class OccupancyArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    since = Day(load_default=None, metadata={"description": "Stays ended since this day (default: a year ago)."})


class OccupancyListSchema(ma.Schema):
    items = fields.List(fields.Nested(OccupancyRowSchema), required=True)
