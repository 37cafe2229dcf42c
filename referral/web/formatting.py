"""Jinja filters for dates, durations, numbers and lists in the reader's language and time zone.

Written for a reader of Arabic first: durations go through ngettext so Arabic gets its six plural
forms (one, two, three to ten, eleven to ninety-nine, hundreds) inside the whole phrase, where the
case ending depends on the words around the number ("خلال يومين", never "خلال يومان"); dates have
one day-first style per language; signed numbers are isolated so "<5" is never mirrored to "5>".
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from babel import dates
from flask import Flask
from flask_babel import format_decimal, get_timezone

from ..models.base import utcnow
from ..translation import language, locale, ngettext

#: One date style per language, day first, with the month in words so no one reads 12/03 as 12 March.
DATE_PATTERNS = {"ar": "d MMMM y", "fr": "d MMM y", "en": "d MMM y"}
TIME_PATTERN = "HH:mm"
#: A duration is told in the largest unit it reaches 1.1 times (as babel.format_timedelta does):
#: 26 hours stay "26 hours", 36 hours become "2 days".
THRESHOLD = 1.1
UNITS = (("day", 86400), ("hour", 3600), ("minute", 60))
#: Left-to-right isolate: keeps a signed or compared number ("<5", "-3") in its order inside Arabic.
LRI, PDI = "\u2066", "\u2069"
LIST_SEPARATORS = {"ar": "، "}



def when(value: datetime | None, fmt: str = "medium") -> str:
    """A date and time in the reader's one style, on her clock (her agency's time zone:
    `i18n.select_timezone`); `fmt` "date" leaves the time out, the day being hers too. (The other
    values of `fmt` are kept for the templates that name one; they no longer differ.)"""
    if not value:
        return ""
    pattern = DATE_PATTERNS.get(language(), DATE_PATTERNS["en"])
    if fmt != "date":
        pattern = f"{pattern} {TIME_PATTERN}"
    # Babel directly, with the locale resolved once per request: as Flask-Babel's
    # format_datetime does, without its lookups of the locale and the format on every date.
    return dates.format_datetime(value, pattern, locale=locale() or "en", tzinfo=get_timezone())


def day(value) -> str:
    """A calendar day (a date, or one stored as ISO text, no time zone; an instant is the day it was
    on the reader's clock) in the same style as `when`."""
    if isinstance(value, str) and value:
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value  # shown as it was recorded rather than not at all
    if not value:
        return ""
    if isinstance(value, datetime):  # an instant: the day it was on her clock
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(get_timezone()).date()
    return dates.format_date(value, DATE_PATTERNS.get(language(), DATE_PATTERNS["en"]), locale=locale() or "en")


def _count_and_unit(seconds: float) -> tuple[int, str]:
    for unit, size in UNITS:
        if seconds / size >= THRESHOLD:
            return round(seconds / size), unit
    return max(1, round(seconds / 60)), "minute"


def _in(num: int, unit: str) -> str:
    if unit == "day":
        return ngettext("in %(num)d day", "in %(num)d days", num)
    if unit == "hour":
        return ngettext("in %(num)d hour", "in %(num)d hours", num)
    return ngettext("in %(num)d minute", "in %(num)d minutes", num)


def _overdue_by(num: int, unit: str) -> str:
    if unit == "day":
        return ngettext("overdue by %(num)d day", "overdue by %(num)d days", num)
    if unit == "hour":
        return ngettext("overdue by %(num)d hour", "overdue by %(num)d hours", num)
    return ngettext("overdue by %(num)d minute", "overdue by %(num)d minutes", num)


def time_left(due: datetime | None) -> str:
    """'in 3 hours' or 'overdue by 2 days', each phrase translated whole with its plural form."""
    if due is None:
        return ""
    seconds = (due - utcnow()).total_seconds()
    if seconds >= 0:
        return _in(*_count_and_unit(seconds))
    return _overdue_by(*_count_and_unit(-seconds))


def is_overdue(due: datetime | None) -> bool:
    return due is not None and due < utcnow()


def isolate(text) -> str:
    """Plain text (SVG titles, tooltips) where a number with a sign must keep its order."""
    return f"{LRI}{text}{PDI}"


def list_separator() -> str:
    """Between the items of a list: the Arabic comma in Arabic."""
    return LIST_SEPARATORS.get(language(), ", ")


def init_formatting(app: Flask) -> None:
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["time_left"] = time_left
    app.jinja_env.filters["number"] = format_decimal
    app.jinja_env.globals["list_separator"] = list_separator
    app.jinja_env.tests["overdue"] = is_overdue
