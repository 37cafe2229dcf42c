"""Getting, listing and revoking access tokens; who am I."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from .common import AgencyRefSchema, Text


class TokenRequestSchema(ma.Schema):
    username = Text(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))
    otp = Text(required=True, validate=validate.Length(min=1, max=40),
               metadata={"description": "A current authenticator code, or an unused recovery code."})
    name = Text(load_default=None, allow_none=True, validate=validate.Length(max=120),
                metadata={"description": "What the token is for (e.g. the device); shown in the token list."})


class TokenSchema(ma.Schema):
    access_token = fields.String(required=True, metadata={"description": "Shown once; keep it secret."})
    token_type = fields.String(required=True, metadata={"enum": ["Bearer"]})
    expires_at = fields.DateTime(required=True)
    token_id = fields.Integer(required=True, metadata={"description": "To revoke it: DELETE /api/v1/auth/tokens/{id}."})


class TokenInfoSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)
    last_used_at = fields.DateTime(required=True, allow_none=True)
    current = fields.Boolean(required=True, metadata={"description": "The token of this request."})


class TokenListSchema(ma.Schema):
    items = fields.List(fields.Nested(TokenInfoSchema), required=True)


class MeSchema(ma.Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    agency = fields.Nested(AgencyRefSchema, required=True)
    region_id = fields.Integer(required=True, allow_none=True)
    locale = fields.String(required=True, allow_none=True)
