"""Business-time arithmetic for SLA deadlines, in the receiving agency's calendar and time zone.

"Acknowledge within 1 business day" is counted in the minutes the *receiving* agency is open, read
on its own wall clock: a referral sent on Friday evening to a Casablanca association is due when that
association has been open long enough, whatever the sender's time zone. Opening hours are wall-clock
times, so the real length of an open interval changes on DST days; every computation therefore turns
each day's intervals into UTC instants and counts real elapsed time between them:

- a wall time that does not exist (DST gap) is skipped: it maps to the instant the gap ends;
- an ambiguous wall time (DST overlap) is read with ``fold=0``, its first occurrence.

Work is done per calendar day (a few conversions per open interval), never per minute, because this
runs on every referral transition. Standard library only (``zoneinfo``, ``datetime``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Default length of a business day in the SLA policies (8 open hours); agencies whose typical day
#: differs can be measured with :func:`business_day_minutes`.
MINUTES_PER_BUSINESS_DAY = 8 * 60

_MINUTE = timedelta(minutes=1)
_DAY = timedelta(days=1)
#: Days scanned without any open time before giving up: a calendar whose open days are all holidays
#: would otherwise loop forever looking for the next opening.
_MAX_CLOSED_DAYS = 3 * 366
_HHMM = re.compile(r"([0-9]{2}):([0-9]{2})")

Span = tuple[datetime, datetime]


def _minutes(text: str, *, end: bool) -> int:
    """Minutes after local midnight of an "HH:MM" string; "24:00" (next midnight) only as an end."""
    match = _HHMM.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"opening time must be 'HH:MM', got {text!r}")
    hours, minutes = int(match[1]), int(match[2])
    if (hours, minutes) == (24, 0) and end:
        return 24 * 60
    if hours > 23 or minutes > 59:
        raise ValueError(f"not a time of day: {text!r}")
    return hours * 60 + minutes


@dataclass(frozen=True)
class BusinessCalendar:
    """When an agency is open: weekly wall-clock hours in its time zone, minus holidays.

    ``opening_hours`` maps weekday "0".."6" (Monday = 0) to ``[["08:30", "12:00"], ...]``; a missing
    or empty weekday is closed. An empty mapping is accepted (agencies are stored that way before
    they are configured); counting business time in it raises ``ValueError`` instead.
    ``open_24_7`` makes every minute business time, holidays included (emergency services).
    """

    timezone: str
    opening_hours: Mapping[str, Sequence[Sequence[str]]] = field(hash=False)
    holidays: frozenset[date] = frozenset()
    open_24_7: bool = False
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    #: Monday..Sunday open intervals as (start, end) minutes after local midnight.
    _week: tuple[tuple[tuple[int, int], ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(f"unknown time zone: {self.timezone!r}") from exc
        unknown = set(self.opening_hours) - {str(d) for d in range(7)}
        if unknown:
            raise ValueError(f"weekdays must be '0'..'6' (Monday = 0), got {sorted(map(str, unknown))}")
        week = []
        for weekday in range(7):
            day: list[tuple[int, int]] = []
            for interval in self.opening_hours.get(str(weekday)) or ():
                if isinstance(interval, str) or len(interval) != 2:
                    raise ValueError(f"an opening interval is [start, end], got {interval!r}")
                start, end = _minutes(interval[0], end=False), _minutes(interval[1], end=True)
                if start >= end:
                    raise ValueError(f"opening interval must start before it ends: {interval!r}")
                if day and start < day[-1][1]:
                    raise ValueError(f"intervals of weekday {weekday} must be sorted and not overlap")
                day.append((start, end))
            week.append(tuple(day))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "_week", tuple(week))


def business_day_minutes(calendar: BusinessCalendar) -> int:
    """Length of the calendar's typical open day: the most common non-zero daily total of the week.

    Ties go to the longer day, so an odd short day (a Saturday morning) never shrinks "N business
    days" for the whole week. Holidays do not count: they are exceptions, not the schedule.
    """
    if calendar.open_24_7:
        return 24 * 60
    totals = Counter(t for t in (sum(e - s for s, e in day) for day in calendar._week) if t)
    if not totals:
        raise ValueError("the calendar is never open")
    return max(totals, key=lambda total: (totals[total], total))


def _utc(at: datetime) -> datetime:
    """``at`` as an aware UTC datetime; naive datetimes are refused since their zone is a guess."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return at.astimezone(UTC)


def _wall_to_utc(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """UTC instant of the local wall time ``minute`` after midnight of ``day`` (fold=0 if ambiguous).

    In a DST gap the wall time does not exist; it maps to the end of the gap, so the missing minutes
    are never open time. ``fold=0`` reads a gap time with the offset before the transition (landing
    after it) and ``fold=1`` with the offset after it (landing before): bisect between the two.
    """
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)
    after = wall.replace(tzinfo=zone).astimezone(UTC)
    if after.astimezone(zone).replace(tzinfo=None) == wall:
        return after
    before = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    offset_after = after.astimezone(zone).utcoffset()
    while after - before > timedelta(seconds=1):
        middle = before + timedelta(seconds=(after - before) // timedelta(seconds=2))
        if middle.astimezone(zone).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return after


@lru_cache(maxsize=8192)
def _local_spans(zone: ZoneInfo, day: date, hours: tuple[tuple[int, int], ...]) -> tuple[Span, ...]:
    """Wall-clock intervals of one date as UTC instants; cached because deadlines of agencies in the
    same zone keep converting the same few weeks, and a calendar is rebuilt for each transition."""
    spans = ((_wall_to_utc(day, s, zone), _wall_to_utc(day, e, zone)) for s, e in hours)
    return tuple((s, e) for s, e in spans if e > s)  # an interval inside a DST gap is empty


def _day_spans(day: date, calendar: BusinessCalendar) -> tuple[Span, ...]:
    """The open intervals of one local date as UTC instants (empty on holidays and closed days)."""
    hours = calendar._week[day.weekday()]
    if not hours or day in calendar.holidays:
        return ()
    return _local_spans(calendar._zone, day, hours)


def _require_open_time(calendar: BusinessCalendar) -> None:
    if not any(calendar._week):
        raise ValueError("the calendar is never open")


def _spans_from(at: datetime, calendar: BusinessCalendar) -> Iterator[Span]:
    """Open intervals after UTC instant ``at``, in order, the first one clipped to start at ``at``.

    Starts on the local date of ``at``: earlier dates' intervals end by that date's midnight (fold=0),
    which is never after ``at``. Raises ``ValueError`` rather than looping forever if nothing opens
    for three years.
    """
    _require_open_time(calendar)
    day = at.astimezone(calendar._zone).date()
    closed_days = 0
    while closed_days <= _MAX_CLOSED_DAYS:
        spans = [(max(s, at), e) for s, e in _day_spans(day, calendar) if e > at]
        yield from spans
        closed_days = 0 if spans else closed_days + 1
        day += _DAY
    raise ValueError(f"the calendar has no open time within {_MAX_CLOSED_DAYS} days of {at.isoformat()}")


def is_open(at: datetime, calendar: BusinessCalendar) -> bool:
    """Whether ``at`` is business time (a never-open calendar is simply closed).

    Looks at tomorrow too: when clocks fall back across midnight, an instant still dated today (the
    repeated hour) comes after tomorrow's 00:00 (fold=0), so tomorrow's first interval may hold it.
    """
    at = _utc(at)
    if calendar.open_24_7:
        return True
    day = at.astimezone(calendar._zone).date()
    return any(s <= at < e for d in (day, day + _DAY) for s, e in _day_spans(d, calendar))


def next_opening(at: datetime, calendar: BusinessCalendar) -> datetime:
    """``at`` (in UTC) if it is business time, else the next instant the agency opens."""
    at = _utc(at)
    if calendar.open_24_7:
        return at
    start, _ = next(_spans_from(at, calendar))
    return start


def add_business_minutes(start: datetime, minutes: int, calendar: BusinessCalendar) -> datetime:
    """The UTC instant at which ``minutes`` of open time have elapsed since ``start``.

    Counting begins at the next opening if ``start`` is outside opening hours. A budget that ends
    exactly at closing time is due at closing time, not at the next opening. ``minutes == 0`` returns
    ``start`` itself (in UTC), even when closed: nothing is owed, so nothing waits for the morning.
    A never-open calendar raises ``ValueError`` even then, so a misconfigured agency fails loudly.
    """
    at = _utc(start)
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    if calendar.open_24_7:
        return at + timedelta(minutes=minutes)
    _require_open_time(calendar)
    if minutes == 0:
        return at
    remaining = timedelta(minutes=minutes)
    for s, e in _spans_from(at, calendar):
        if e - s >= remaining:
            return s + remaining
        remaining -= e - s
    raise AssertionError("unreachable: _spans_from never ends without raising")  # pragma: no cover


def business_minutes_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> int:
    """Whole open minutes in ``[start, end)``, floored; 0 if ``end <= start`` or never open.

    Measures response times and the budget consumed before a pause. The floor is taken on the total,
    so ``business_minutes_between(s, add_business_minutes(s, m, c), c) == m`` for any ``s``.
    """
    start, end = _utc(start), _utc(end)
    if end <= start:
        return 0
    if calendar.open_24_7:
        return (end - start) // _MINUTE
    total = timedelta()
    # One day past the end's date, for a fall-back across midnight (see is_open).
    day, last = start.astimezone(calendar._zone).date(), end.astimezone(calendar._zone).date() + _DAY
    while day <= last:
        for s, e in _day_spans(day, calendar):
            if min(e, end) > max(s, start):
                total += min(e, end) - max(s, start)
        day += _DAY
    return total // _MINUTE
