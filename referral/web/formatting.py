"""Jinja filters for dates, durations and numbers in the reader's language and time zone."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import format_datetime, format_decimal, format_timedelta
from flask_babel import gettext as _

from ..models.base import utcnow


def when(value: datetime | None, fmt: str = "medium") -> str:
    return format_datetime(value, fmt) if value else ""


def time_left(due: datetime | None) -> str:
    """'in 3 hours' or 'overdue by 2 days', localised."""
    if due is None:
        return ""
    delta = due - utcnow()
    if delta.total_seconds() >= 0:
        return _("in %(time)s", time=format_timedelta(delta, threshold=1.1, add_direction=False))
    return _("overdue by %(time)s", time=format_timedelta(-delta, threshold=1.1, add_direction=False))


def is_overdue(due: datetime | None) -> bool:
    return due is not None and due < utcnow()


def init_formatting(app: Flask) -> None:
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["time_left"] = time_left
    app.jinja_env.filters["number"] = format_decimal
    app.jinja_env.tests["overdue"] = is_overdue
