"""Reports from the public, through the API: a hotline app posts what a caller reports; the
associations of the region pull their queue and claim."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ...models.vocab import IncidentPlace, ReporterRole, ReportOutcome, ReportStatus, ViolenceType
from ...services.public_reports import CONTACT_MAX, NARRATIVE_MAX
from .common import Id, PageArgsSchema, PageSchema, Text, choice


class ReportCreateSchema(ma.Schema):
    region_id = Id(required=True, metadata={"description": "Where it happened (the triage follows the region)."})
    violence_type = choice(ViolenceType, required=True)
    incident_place = choice(IncidentPlace, load_default=None, allow_none=True)
    incident_date = fields.Date(load_default=None, allow_none=True)
    ongoing = fields.Boolean(load_default=False)
    danger_now = fields.Boolean(load_default=False, metadata={
        "description": "Someone is in danger now: the region's caseworkers are alerted at once."})
    reporter_role = choice(ReporterRole, required=True)
    share_with_authority = fields.Boolean(load_default=False)
    authority_may_contact = fields.Boolean(load_default=False)
    narrative = Text(required=True, validate=validate.Length(min=1, max=NARRATIVE_MAX))
    contact = Text(load_default=None, allow_none=True, validate=validate.Length(max=CONTACT_MAX))
    contact_instructions = Text(load_default=None, allow_none=True, validate=validate.Length(max=CONTACT_MAX))


class ReceiptSchema(ma.Schema):
    id = fields.UUID(required=True)
    reference = fields.String(required=True)
    receipt_code = fields.String(required=True, metadata={
        "description": "Read it to the caller with the passphrase: with both she follows her report. "
                       "Shown once, never stored in clear."})
    passphrase = fields.String(required=True)
    status = fields.String(required=True)


class ReportQueueArgsSchema(PageArgsSchema):
    include_closed = fields.Boolean(load_default=False)


class ReportRowSchema(ma.Schema):
    """A report in the queue: never what she wrote nor how to reach her (those come after a claim,
    on the pages)."""

    id = fields.UUID(required=True)
    reference = fields.String(required=True)
    status = choice(ReportStatus, required=True)
    outcome = choice(ReportOutcome, required=True, allow_none=True)
    danger_now = fields.Boolean(required=True)
    region_id = fields.Integer(required=True)
    violence_type = choice(ViolenceType, required=True)
    created_at = fields.DateTime(required=True)
    claimed_by_your_association = fields.Boolean(required=True)
    claimed = fields.Boolean(required=True)


class ReportPageSchema(PageSchema):
    items = fields.List(fields.Nested(ReportRowSchema), required=True)
