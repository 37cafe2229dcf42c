"""A caseworker's follow-ups as a calendar feed (iCalendar), for the calendar of her work phone.

Calendar apps fetch a feed without logging in, so the feed's address holds a secret (shown once,
stored as its SHA-256, replaceable and revocable, and revoked with "log out everywhere"). What a
calendar receives is opaque: the kind of follow-up ("Call back") and its time, and a link into
Masar that opens only after login. Never her name, the file number, the note, a place or an agency:
calendars are synced to servers Masar does not control and shown on lock screens.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from icalendar import Calendar, Event
from sqlalchemy import select

from ..audit.log import record
from ..extensions import db
from ..labels import label
from ..models import CaseTask, User
from ..models.base import utcnow
from ..models.vocab import Role
from ..translation import gettext

#: The window a feed shows: the recent past (to tick off) and the weeks ahead.
PAST, AHEAD = timedelta(days=14), timedelta(days=120)
#: How long a calendar shows each kind of follow-up.
DURATIONS = {"accompany": timedelta(hours=2), "appointment": timedelta(hours=1)}
DEFAULT_DURATION = timedelta(minutes=30)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def may_have_feed(user: User) -> bool:
    return user.active and user.has_role(Role.CASEWORKER)


def issue_feed(user: User) -> str:
    """A new secret address for her feed (the former one stops working). Shown once."""
    if not may_have_feed(user):
        raise PermissionError("only caseworkers have follow-ups")
    secret = secrets.token_urlsafe(32)
    replaced = user.calendar_feed_hash is not None
    user.calendar_feed_hash, user.calendar_feed_used_at = _digest(secret), None
    record("calendar.feed_issue", object_type="user", object_id=user.id, details={"replaced": replaced})
    return secret


def revoke_feed(user: User) -> None:
    if user.calendar_feed_hash is None:
        return
    user.calendar_feed_hash = None
    record("calendar.feed_revoke", object_type="user", object_id=user.id)


def user_for_feed(secret: str) -> User | None:
    if not secret or len(secret) > 100:
        return None
    user = db.session.execute(select(User).where(User.calendar_feed_hash == _digest(secret))).scalar_one_or_none()
    return user if user is not None and may_have_feed(user) else None


def feed_for(user: User) -> bytes:
    """Her open follow-ups in the window, as iCalendar, labelled in her language."""
    now = utcnow()
    tasks = db.session.execute(
        select(CaseTask).where(CaseTask.assignee_id == user.id, CaseTask.status == "open",
                               CaseTask.due_at >= now - PAST, CaseTask.due_at <= now + AHEAD)
        .order_by(CaseTask.due_at).limit(500)).scalars().all()
    calendar = Calendar()
    calendar.add("prodid", "-//Masar//follow-ups//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Masar")
    calendar.add("x-published-ttl", "PT1H")
    base = current_app.config["BASE_URL"].rstrip("/")
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        for task in tasks:
            event = Event()
            event.add("uid", f"{task.id}@masar")
            event.add("dtstamp", now)
            event.add("dtstart", task.due_at)
            event.add("dtend", task.due_at + DURATIONS.get(task.kind, DEFAULT_DURATION))
            event.add("summary", f"{gettext('Masar')} · {label(task.kind, 'task_')}")
            event.add("url", base + url_for("cases.show", case_id=task.case_id, _external=False) + "#tasks")
            event.add("class", "PRIVATE")
            calendar.add_component(event)
    user.calendar_feed_used_at = now
    return calendar.to_ical()
