"""Login throttling shared by every app process, kept outside the request's transaction.

A failed login must count even though the request that reports it rolls back, so counters are
written in a short transaction of their own, like a cache server would hold them. Each of these
takes one pooled connection for a few milliseconds and never while a password is hashed.

Three counters, so that guessing is slow without letting anyone lock a woman out of her account:

- *pair* (typed username and address): the lockout, `LOGIN_LOCKOUT_THRESHOLD` guesses per window;
- *user* (typed username from anywhere): `USER_THRESHOLD_FACTOR` times wider, and not applied at
  an address where she logged in successfully within `KNOWN_ADDRESS_DAYS` (her office): guesses
  from elsewhere stop the guessers, not her;
- *ip* (address, any username): ten times wider, counting failures only.

Attempts are *claimed* before they are evaluated: one conditional UPDATE takes a slot only while
fewer than the threshold are taken in the current window, so however many requests arrive
together, no more guesses are checked than the threshold allows (a read-then-write counter let 8
of 25 concurrent wrong codes through a threshold of 5).
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
#: Guesses at one username from addresses she has not logged in from, per window.
USER_THRESHOLD_FACTOR = 4
#: How long an address where she logged in stays exempt from the username-wide counter.
KNOWN_ADDRESS_DAYS = 30


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _name(username: str) -> str:
    return (username or "").strip().casefold()


def username_key(username: str) -> str:
    return "user:" + _digest(_name(username))


def pair_key(username: str, ip: str | None) -> str:
    return "pair:" + _digest(_name(username), ip or "unknown")


def known_key(username: str, ip: str | None) -> str:
    return "known:" + _digest(_name(username), ip or "unknown")


def ip_key(ip: str | None) -> str:
    return f"ip:{ip or 'unknown'}"


def _window() -> timedelta:
    return timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])


def _threshold(key: str) -> int:
    base = current_app.config["LOGIN_LOCKOUT_THRESHOLD"]
    factor = {"ip": IP_THRESHOLD_FACTOR, "user": USER_THRESHOLD_FACTOR}.get(key.split(":", 1)[0], 1)
    return base * factor


def _bump(conn, key: str, *, only_below_threshold: bool, threshold: int | None = None,
          window: timedelta | None = None) -> bool:
    """Count one attempt on `key` in one statement; a window older than the lockout restarts at 1.
    With `only_below_threshold` the statement matches nothing once the window is full. Other
    counters (the public report pages) pass their own threshold and window."""
    now = utcnow()
    conn.execute(insert_ignoring_conflict(LoginThrottle.__table__, key=key, failures=0, window_started_at=now))
    stale = LoginThrottle.window_started_at <= now - (window or _window())
    statement = (
        update(LoginThrottle)
        .where(LoginThrottle.key == key)
        .values(
            failures=case((stale, 1), else_=LoginThrottle.failures + 1),
            window_started_at=case((stale, now), else_=LoginThrottle.window_started_at),
        )
    )
    if only_below_threshold:
        limit = threshold if threshold is not None else _threshold(key)
        statement = statement.where(or_(stale, LoginThrottle.failures < limit))
    return conn.execute(statement).rowcount == 1


class _Refused(Exception):
    """Rolls the claim's transaction back: a refused attempt takes no slot anywhere."""


def claim_login_attempt(username: str, ip: str | None) -> bool:
    """Take the slots one attempt at `username` from `ip` needs; False (and nothing taken) when
    the address is blocked or a window is full. A slot stays taken after a failure; a completed
    login gives them back."""
    try:
        with db.engine.begin() as conn:
            if _blocked(conn, ip_key(ip)):
                raise _Refused
            keys = [pair_key(username, ip)]
            if not _is_known(conn, username, ip):
                keys.append(username_key(username))
            for key in sorted(keys):  # every writer locks the rows in one order: no deadlock
                if not _bump(conn, key, only_below_threshold=True):
                    raise _Refused
    except _Refused:
        return False
    return True


def release_login_attempt(username: str, ip: str | None) -> None:
    """Give back the slots of an attempt that succeeded (a right password: only guesses count).
    In its own transaction, before the request writes anything (SQLite has one writer)."""
    with db.engine.begin() as conn:
        # One row at a time, in the order the claims lock them: a single UPDATE of both rows locks
        # them in whatever order PostgreSQL scans, and deadlocked with a concurrent claim.
        for key in sorted([pair_key(username, ip), username_key(username)]):
            conn.execute(update(LoginThrottle).where(LoginThrottle.key == key, LoginThrottle.failures > 0)
                         .values(failures=LoginThrottle.failures - 1))


def claim_slot(key: str, *, threshold: int, window: timedelta) -> bool:
    """Take one slot of `key` in a transaction of its own (it counts even if the request rolls
    back); False once `threshold` are taken in the current window."""
    with db.engine.begin() as conn:
        return _bump(conn, key, only_below_threshold=True, threshold=threshold, window=window)


def register_failure(*keys: str) -> None:
    """Count a failure on keys that were not claimed beforehand (the address)."""
    with db.engine.begin() as conn:
        for key in sorted(keys):
            _bump(conn, key, only_below_threshold=False)


def login_completed(username: str, ip: str | None) -> None:
    """After a full login: forget this address's guesses and remember it as hers. Unlike failures,
    this rides on the request's transaction: if the login does not commit, nothing changes.
    Counters are reset, not deleted: a claim waiting on the row then counts from zero instead of
    finding no row and reading as a lockout."""
    now = utcnow()
    db.session.execute(update(LoginThrottle).where(LoginThrottle.key == pair_key(username, ip)).values(failures=0))
    known = known_key(username, ip)
    db.session.execute(insert_ignoring_conflict(LoginThrottle.__table__, key=known, failures=0,
                                                window_started_at=now))
    db.session.execute(update(LoginThrottle).where(LoginThrottle.key == known).values(window_started_at=now))


def _blocked(conn, key: str) -> bool:
    row = conn.execute(
        select(LoginThrottle.failures, LoginThrottle.window_started_at).where(LoginThrottle.key == key)
    ).first()
    return row is not None and row.failures >= _threshold(key) and row.window_started_at > utcnow() - _window()


def _is_known(conn, username: str, ip: str | None) -> bool:
    seen = conn.execute(
        select(LoginThrottle.window_started_at).where(LoginThrottle.key == known_key(username, ip))
    ).scalar_one_or_none()
    return seen is not None and seen > utcnow() - timedelta(days=KNOWN_ADDRESS_DAYS)
