"""Login throttling shared by every app process, kept outside the request's transaction.

A failed login must count even though the request that reports it rolls back, so counters are
written in a short transaction of their own, like a cache server would hold them.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import LoginThrottle
from ..models.base import utcnow

#: Failures from one address tolerated per window, across all usernames.
IP_THRESHOLD_FACTOR = 10


def username_key(username: str) -> str:
    return "user:" + hashlib.sha256(username.strip().casefold().encode()).hexdigest()


def ip_key(ip: str | None) -> str:
    return f"ip:{ip or 'unknown'}"


def _window() -> timedelta:
    return timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])


def _threshold(key: str) -> int:
    base = current_app.config["LOGIN_LOCKOUT_THRESHOLD"]
    return base * IP_THRESHOLD_FACTOR if key.startswith("ip:") else base


def is_blocked(*keys: str) -> bool:
    now = utcnow()
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(LoginThrottle.blocked_until).where(LoginThrottle.key.in_(keys))
        ).scalars()
        return any(until is not None and _aware(until) > now for until in rows)


def _aware(value):
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def register_failure(*keys: str) -> None:
    now = utcnow()
    window = _window()
    for key in keys:
        for _attempt in range(2):
            try:
                with db.engine.begin() as conn:
                    row = conn.execute(
                        select(LoginThrottle.failures, LoginThrottle.window_started_at).where(
                            LoginThrottle.key == key
                        )
                    ).first()
                    if row is None:
                        conn.execute(
                            LoginThrottle.__table__.insert().values(
                                key=key, failures=1, window_started_at=now, blocked_until=None
                            )
                        )
                        failures = 1
                    else:
                        started = _aware(row.window_started_at)
                        failures = 1 if now - started > window else row.failures + 1
                        conn.execute(
                            update(LoginThrottle)
                            .where(LoginThrottle.key == key)
                            .values(
                                failures=failures,
                                window_started_at=now if failures == 1 else started,
                            )
                        )
                    if failures >= _threshold(key):
                        conn.execute(
                            update(LoginThrottle)
                            .where(LoginThrottle.key == key)
                            .values(blocked_until=now + window, failures=0, window_started_at=now)
                        )
                break
            except IntegrityError:
                continue  # another process inserted the same key first: count again as an update


def clear(key: str) -> None:
    """Forget failures after a success. Unlike failures, this rides on the request's transaction:
    if the login does not commit, the counter simply stays."""
    db.session.execute(LoginThrottle.__table__.delete().where(LoginThrottle.key == key))
