"""Login throttling shared by every app process, kept outside the request's transaction.

A failed login must count even though the request that reports it rolls back, so counters are
written in a short transaction of their own, like a cache server would hold them.

An account's attempts are *claimed* before they are evaluated: one conditional UPDATE takes a
slot only while fewer than the threshold are taken in the current window, so however many
requests arrive together, at most `threshold` guesses are ever checked (a read-then-write
counter let 8 of 25 concurrent wrong codes through a threshold of 5). The per-address counter,
ten times wider, counts failures after the fact.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app
from sqlalchemy import case, or_, select, update

from ..dbutil import insert_ignoring_conflict
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


def _bump(conn, key: str, *, only_below_threshold: bool) -> bool:
    """Count one attempt on `key` in one statement; a window older than the lockout restarts at 1.
    With `only_below_threshold` the statement matches nothing once the window is full."""
    now = utcnow()
    conn.execute(insert_ignoring_conflict(LoginThrottle.__table__, key=key, failures=0, window_started_at=now))
    stale = LoginThrottle.window_started_at <= now - _window()
    statement = (
        update(LoginThrottle)
        .where(LoginThrottle.key == key)
        .values(
            failures=case((stale, 1), else_=LoginThrottle.failures + 1),
            window_started_at=case((stale, now), else_=LoginThrottle.window_started_at),
        )
    )
    if only_below_threshold:
        statement = statement.where(or_(stale, LoginThrottle.failures < _threshold(key)))
    return conn.execute(statement).rowcount == 1


def claim_attempt(key: str) -> bool:
    """Take one attempt slot on `key`; False (and nothing taken) when the window is full.
    The slot stays taken after a failure; a completed login clears the key."""
    with db.engine.begin() as conn:
        return _bump(conn, key, only_below_threshold=True)


def release(key: str) -> None:
    """Give back a slot taken for an attempt that succeeded (a right password: only guesses count).
    In its own transaction, before the request writes anything (SQLite has one writer)."""
    with db.engine.begin() as conn:
        conn.execute(
            update(LoginThrottle).where(LoginThrottle.key == key, LoginThrottle.failures > 0)
            .values(failures=LoginThrottle.failures - 1)
        )


def is_blocked(*keys: str) -> bool:
    now = utcnow()
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(LoginThrottle.failures, LoginThrottle.window_started_at, LoginThrottle.key)
            .where(LoginThrottle.key.in_(keys))
        ).all()
    return any(row.failures >= _threshold(row.key) and row.window_started_at > now - _window() for row in rows)


def register_failure(*keys: str) -> None:
    """Count a failure on keys that were not claimed beforehand (the address)."""
    with db.engine.begin() as conn:
        for key in keys:
            _bump(conn, key, only_below_threshold=False)


def clear(key: str) -> None:
    """Forget failures after a success. Unlike failures, this rides on the request's transaction:
    if the login does not commit, the counter simply stays. The row is reset, not deleted: a claim
    waiting on it then counts from zero instead of finding no row and reading as a lockout."""
    db.session.execute(update(LoginThrottle).where(LoginThrottle.key == key).values(failures=0))
