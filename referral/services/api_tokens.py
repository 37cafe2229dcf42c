"""API access tokens: random, stored as digests, expiring, revocable by their owner or an admin.

No request in here: the token endpoints and the bearer check call these with the user and the time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ..audit.log import record
from ..extensions import db
from ..models import ApiToken, User
from ..models.base import utcnow
from ..policy import Action
from ..policy.core import has_role_for
from ..security.tokens import new_token, token_digest
from .credentials import live_tokens, revoke_token

__all__ = ["TokenRejected", "authenticate", "find_for", "issue", "live_tokens", "revoke_token"]

#: last_used_at is written at most this often, so a read is not a write each time.
TOUCH_INTERVAL = timedelta(seconds=60)
#: Longer strings are not tokens we issued: refuse them before hashing.
MAX_TOKEN_LENGTH = 128


class TokenRejected(Exception):
    """The bearer token does not authenticate anyone; `reason` goes to the audit log only."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def issue(user: User, *, name: str | None = None, at: datetime | None = None,
          secret: str | None = None) -> tuple[str, ApiToken]:
    """A new token for `user` (with `secret` if the caller drew it already, to name it in the log
    first); the secret is returned once and never stored."""
    at = at or utcnow()
    hours = int(current_app.config.get("API_TOKEN_HOURS", 8))
    secret = secret or new_token()
    row = ApiToken(user_id=user.id, token_hash=token_digest(secret), name=name, created_at=at,
                   expires_at=at + timedelta(hours=hours))
    db.session.add(row)
    db.session.flush([row])
    record("api_token.create", object_type="api_token", object_id=row.id, details={"hours": hours})
    return secret, row


def authenticate(secret: str | None, *, at: datetime | None = None) -> tuple[User, ApiToken]:
    """The user behind a live token, or TokenRejected. Disabled accounts, a password changed since
    the token was issued, and an account that must change its password all end the token."""
    if not secret or len(secret) > MAX_TOKEN_LENGTH:
        raise TokenRejected("malformed")
    at = at or utcnow()
    row = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == token_digest(secret))
    ).scalar_one_or_none()
    if row is None:
        raise TokenRejected("unknown")
    if row.revoked_at is not None:
        raise TokenRejected("revoked")
    if row.expires_at <= at:
        raise TokenRejected("expired")
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        raise TokenRejected("account_disabled")
    if user.must_change_password or user.password_changed_at > row.created_at:
        raise TokenRejected("password_changed")
    if row.last_used_at is None or at - row.last_used_at > TOUCH_INTERVAL:
        row.last_used_at = at
    return user, row


def find_for(user: User, token_id: int) -> ApiToken | None:
    """A token `user` may manage: her own, or anyone's for an admin. Others are "not found"."""
    row = db.session.get(ApiToken, token_id)
    if row is None:
        return None
    if row.user_id == user.id or has_role_for(user, Action.USERS_MANAGE):
        return row
    return None
