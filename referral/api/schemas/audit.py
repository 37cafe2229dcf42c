"""The access log for auditors, and the verification of its hash chain."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ...models.vocab import AuditOutcome
from .common import MAX_ID, Text, choice


class AuditEventArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    username = Text(load_default=None, validate=validate.Length(max=80))
    agency_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    case_number = Text(load_default=None, validate=validate.Length(max=32))
    action = Text(load_default=None, validate=validate.Length(max=64),
                  metadata={"description": "Start of the action name: case. matches case.read, case.update..."})
    outcome = choice(AuditOutcome, load_default=None)
    date_from = fields.Date(load_default=None, metadata={"description": "UTC day, included."})
    date_to = fields.Date(load_default=None, metadata={"description": "UTC day, included."})
    break_glass_only = fields.Boolean(load_default=False)
    before = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**62),
                            metadata={"description": "older_than of the previous page."})


class AuditEventSchema(ma.Schema):
    id = fields.Integer(required=True)
    occurred_at = fields.DateTime(required=True)
    action = fields.String(required=True)
    outcome = fields.String(required=True)
    actor_user_id = fields.Integer(required=True, allow_none=True)
    actor_username = fields.String(required=True, allow_none=True)
    actor_agency_id = fields.Integer(required=True, allow_none=True)
    agency_code = fields.String(required=True, allow_none=True)
    actor_roles = fields.String(required=True, allow_none=True)
    session_ref = fields.String(required=True, allow_none=True)
    object_type = fields.String(required=True, allow_none=True)
    object_id = fields.String(required=True, allow_none=True)
    case_id = fields.UUID(required=True, allow_none=True)
    case_number = fields.String(required=True, allow_none=True)
    fields_ = fields.List(fields.String(), required=True, data_key="fields", attribute="fields")
    ip_address = fields.String(required=True, allow_none=True)
    purpose = fields.String(required=True, allow_none=True)
    break_glass_reason = fields.String(required=True, allow_none=True)
    details = fields.Dict(required=True)
    chain_position = fields.Integer(required=True, allow_none=True, metadata={
        "description": "Position in the hash chain; null for a few seconds, until the sequencer links it"})
    prev_hash = fields.String(required=True, allow_none=True)
    hash = fields.String(required=True, allow_none=True)


class AuditEventPageSchema(ma.Schema):
    items = fields.List(fields.Nested(AuditEventSchema), required=True)
    older_than = fields.Integer(required=True, allow_none=True,
                                metadata={"description": "Pass as `before` for the next page; null at the end."})


class ChainVerificationSchema(ma.Schema):
    valid = fields.Boolean(required=True)
    first_invalid_event = fields.Integer(required=True, allow_none=True,
                                         metadata={"description": "Chain position where the log stops being valid"})
    invalid_event_id = fields.Integer(required=True, allow_none=True,
                                      metadata={"description": "Id of the event found invalid, if there is one"})
    checked = fields.Integer(required=True)
    problem = fields.String(required=True, allow_none=True, metadata={"enum": [
        "altered", "broken_link", "missing", "inserted", "truncated", "bad_signature", "checkpoint_mismatch",
        "checkpoint_missing", "external_unreadable", "forged", None]})
    checkpoints = fields.Integer(metadata={"description": "Signed checkpoints verified with the current key"})
    external_checkpoints = fields.Integer(
        metadata={"description": "Of them, kept outside the database (MASAR_AUDIT_CHECKPOINT_DIR)"})
    findings = fields.List(fields.Nested(lambda: ChainFindingSchema()), metadata={
        "description": "No tampering proven, but events left without a timely signature or a role too powerful"})


class ChainFindingSchema(ma.Schema):
    kind = fields.String(required=True, metadata={"enum": [
        "no_external_checkpoint", "signing_gap", "unsigned_tail", "unchained", "app_role_can_rewrite"]})
    from_event = fields.Integer(allow_none=True)
    to_event = fields.Integer(allow_none=True)
    minutes = fields.Integer(allow_none=True)
    count = fields.Integer(allow_none=True)
