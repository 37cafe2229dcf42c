"""In-app notifications: kinds and reference numbers only, never survivor data."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from .common import PageArgsSchema, PageSchema


class NotificationArgsSchema(PageArgsSchema):
    unread = fields.Boolean(load_default=False, metadata={"description": "Only the unread ones."})


class NotificationSchema(ma.Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    text = fields.String(required=True, metadata={"description": "In the language of the answer."})
    reference = fields.String(required=True, allow_none=True)
    referral_id = fields.UUID(required=True, allow_none=True)
    case_id = fields.UUID(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    read_at = fields.DateTime(required=True, allow_none=True)


class NotificationPageSchema(PageSchema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)
