"""Everything that lets an account in without its password: browser sessions and API tokens.

Every security action (log out everywhere, password change or reset, second-factor reset,
disable and re-enable) ends all of them through `revoke_all`, for good: a revoked token is not
revived by re-enabling the account, and a stolen token does not outlive the staff's reaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from ..audit.log import record
from ..extensions import db
from ..models import ApiToken, User, UserSession
from ..models.base import utcnow
from ..security.sessions import revoke_user_sessions

#: The account page lists at most this many of each (a live account has a handful).
LIST_LIMIT = 100


def revoke_all(user_id: int) -> None:
    """End every web session, every API token and the calendar feed's address of the account."""
    revoke_user_sessions(user_id)
    db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow()).execution_options(synchronize_session=False)
    )
    db.session.execute(update(User).where(User.id == user_id, User.calendar_feed_hash.is_not(None))
                       .values(calendar_feed_hash=None).execution_options(synchronize_session="fetch"))


def live_sessions(user: User, *, at: datetime | None = None) -> list[UserSession]:
    at = at or utcnow()
    return list(db.session.execute(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None),
                                  UserSession.expires_at > at)
        .order_by(UserSession.last_seen_at.desc()).limit(LIST_LIMIT)
    ).scalars())


def live_tokens(user: User, *, at: datetime | None = None) -> list[ApiToken]:
    at = at or utcnow()
    return list(db.session.execute(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > at)
        .order_by(ApiToken.created_at.desc()).limit(LIST_LIMIT)
    ).scalars())


def revoke_token(row: ApiToken, *, at: datetime | None = None) -> ApiToken:
    if row.revoked_at is None:
        row.revoked_at = at or utcnow()
        record("api_token.revoke", object_type="api_token", object_id=row.id, details={"owner_id": row.user_id})
    return row


def own_session(user: User, session_id: int) -> UserSession | None:
    """One of `user`'s own sessions; anyone else's is "not found"."""
    row = db.session.get(UserSession, session_id)
    return row if row is not None and row.user_id == user.id else None


def own_token(user: User, token_id: int) -> ApiToken | None:
    row = db.session.get(ApiToken, token_id)
    return row if row is not None and row.user_id == user.id else None


def revoke_session(row: UserSession) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        record("account.session_revoked", object_type="user", object_id=row.user_id)
