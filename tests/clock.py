"""The clock every test runs on: a fixed, named instant, never the real date.

`tests/conftest.py` moves the whole process (``datetime.now``, ``time.time``, ``date.today``, so
also ``referral.models.base.utcnow``, sessions, tokens, TOTP, the scheduler and the SLA engine) to
one instant at the start of each test, with time-machine; time then ticks on normally, so a test
sees the same date, weekday and wall time whatever day the suite runs. A test moves time forward
with the ``clock`` fixture (``clock.shift(timedelta(hours=1))``) instead of building its data in the
past.

``MASAR_TEST_CLOCK`` picks the instant: one of the names in ``INSTANTS`` or an ISO 8601 instant
with its offset. CI runs the date-sensitive tests again at the hard ones (``make test-dates``).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

#: Instants a run can be pinned to. The defaults of the world fixture are Moroccan: agencies in
#: Africa/Casablanca, open 08:30-16:30 Monday to Friday, national holidays of demo_data.HOLIDAYS.
#: Morocco is on UTC+0 all year since 20 September 2026 (tz 2026f, referral/timezones.py): a test
#: that needs local time to differ from UTC, or a clock change, takes a day before that.
INSTANTS = {
    # An ordinary Wednesday morning (09:30 in Casablanca), no holiday within a month: the default.
    "wednesday": datetime(2027, 6, 16, 9, 30, tzinfo=UTC),
    # Saturday, offices closed; the Thursday before was a national holiday (Amazigh new year).
    "saturday": datetime(2027, 1, 16, 10, 0, tzinfo=UTC),
    # The eve of the Throne Day (Friday 30 July, then a weekend), an hour and a half before closing.
    "holiday-eve": datetime(2027, 7, 29, 15, 0, tzinfo=UTC),
    # Sunday 15 February 2026, 02:45 in Casablanca: at 03:00 the clock went back to 02:00 for
    # Ramadan, the last time before Morocco stayed on UTC+0.
    "ramadan-clock-change": datetime(2026, 2, 15, 1, 45, tzinfo=UTC),
    # 31 December 2025, half an hour before midnight UTC (already 1 January in Casablanca, then on
    # UTC+1, and in Hebron).
    "new-year": datetime(2025, 12, 31, 23, 30, tzinfo=UTC),
    # A leap day, a Tuesday.
    "leap-day": datetime(2028, 2, 29, 11, 0, tzinfo=UTC),
}
DEFAULT = "wednesday"
#: The runs CI adds for the date-sensitive tests (see Makefile, test-dates).
HARD_DATES = ("saturday", "holiday-eve", "ramadan-clock-change")
ENV = "MASAR_TEST_CLOCK"


def start_instant() -> datetime:
    """The instant every test starts at, from ``MASAR_TEST_CLOCK`` (a name or an ISO instant)."""
    value = os.environ.get(ENV, "").strip() or DEFAULT
    if value in INSTANTS:
        return INSTANTS[value]
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{ENV} must be one of {sorted(INSTANTS)} or an ISO 8601 instant, got {value!r}") from None
    if instant.tzinfo is None:
        raise ValueError(f"{ENV}={value!r} has no UTC offset: an instant is ambiguous without one")
    return instant.astimezone(UTC)


#: Set for a child process the test starts, so that it runs on the test's clock too.
CHILD_ENV = "MASAR_TEST_CLOCK_CHILD"


def child_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a process a test starts: the test's current instant, to follow."""
    env = dict(os.environ if environ is None else environ)
    env[CHILD_ENV] = datetime.now(UTC).isoformat()
    return env


def follow_parent_clock() -> None:
    """In a child process: travel to the instant the parent test was at when it started us."""
    value = os.environ.get(CHILD_ENV)
    if not value:
        return
    import time_machine

    time_machine.travel(datetime.fromisoformat(value), tick=True).start()
