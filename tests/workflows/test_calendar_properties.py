"""The SLA calendar proved over whole years of sending instants, and on the dates that matter.

Properties (Hypothesis) for each urgency's default limits, in agencies open office hours in
Casablanca (national and regional holidays, the Ramadan clock changes), Tunis and Hebron (a
Sunday-Thursday week, daylight saving), and one open around the clock:

- a due time is never before the sending time;
- at an office-hours agency it falls inside opening hours (the end of an interval counts: a budget
  that ends at closing time is due then);
- it moves forward monotonically with the sending time;
- a pause adds exactly the business time it lasted;
- the time counted between sending and the due time is the budget, to the minute;
- emergency limits and the clinical deadlines (72 h, 120 h) are wall-clock time in every calendar.

Then named cases, each expected instant worked out by hand in the comment beside it.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referral.demo_data import holiday_dates
from referral.models.vocab import SlaClock, TimerKind, Urgency
from referral.workflows.calendar import (
    BusinessCalendar,
    add_business_minutes,
    business_minutes_between,
    is_open,
)
from referral.workflows.sla import CLINICAL_DEADLINES, DEFAULT_POLICIES, due_time

pytestmark = pytest.mark.no_db

CASABLANCA, TUNIS, HEBRON = ZoneInfo("Africa/Casablanca"), ZoneInfo("Africa/Tunis"), ZoneInfo("Asia/Hebron")
WEEKDAYS = ("0", "1", "2", "3", "4")
NATIONAL = frozenset(day for day, _name in holiday_dates((2026, 2027, 2028)))
#: A regional holiday, observed by the agencies of one region only (a local moussem).
REGIONAL_DAY = date(2027, 9, 16)

MOROCCO = BusinessCalendar("Africa/Casablanca", {d: [["08:30", "16:30"]] for d in WEEKDAYS}, NATIONAL)
MOROCCO_REGION = BusinessCalendar("Africa/Casablanca", {d: [["08:30", "16:30"]] for d in WEEKDAYS},
                                  NATIONAL | {REGIONAL_DAY})
MOROCCO_SPLIT = BusinessCalendar("Africa/Casablanca", {d: [["08:30", "12:00"], ["14:00", "16:30"]] for d in WEEKDAYS},
                                 NATIONAL)
TUNISIA = BusinessCalendar("Africa/Tunis", {d: [["08:00", "17:00"]] for d in WEEKDAYS},
                           frozenset({date(2027, 3, 20), date(2027, 4, 9)}))
PALESTINE = BusinessCalendar("Asia/Hebron", {d: [["08:00", "15:00"]] for d in ("6", "0", "1", "2", "3")})
AROUND_THE_CLOCK = BusinessCalendar("Africa/Casablanca", {}, open_24_7=True)
OFFICE_HOURS = {"casablanca": MOROCCO, "casablanca-region": MOROCCO_REGION, "casablanca-split": MOROCCO_SPLIT,
                "tunis": TUNISIA, "hebron": PALESTINE}
CALENDARS = {**OFFICE_HOURS, "24/7": AROUND_THE_CLOCK}

#: Every limit of the default policies: (urgency, which timer, clock, minutes).
LIMITS = [(urgency, column, policy["clock"], policy[column])
          for urgency, policy in DEFAULT_POLICIES.items()
          for column in ("acknowledge_minutes", "decide_minutes", "first_action_minutes")
          if policy[column] is not None]

#: A year of sending instants, plus the leap day of 2028 and the Ramadan weeks around it.
YEAR = st.datetimes(min_value=datetime(2027, 1, 1), max_value=datetime(2028, 3, 31), timezones=st.just(UTC))
MINUTE_ALIGNED = YEAR.map(lambda at: at.replace(second=0, microsecond=0))
#: MASAR_CALENDAR_EXAMPLES=5000 for a deeper search than the suite's.
PROPERTY = settings(max_examples=int(os.environ.get("MASAR_CALENDAR_EXAMPLES", "150")), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def due(start: datetime, clock: SlaClock, minutes: int, calendar: BusinessCalendar) -> datetime:
    return due_time(start, minutes, clock, calendar)


def casa(*args) -> datetime:
    return datetime(*args, tzinfo=CASABLANCA)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def inside_opening_hours(instant: datetime, calendar: BusinessCalendar) -> bool:
    """Open just before ``instant``: a due time at closing time counts as inside."""
    return is_open(instant - timedelta(microseconds=1), calendar)


# --- properties ----------------------------------------------------------------------------


@PROPERTY
@given(start=YEAR, limit=st.sampled_from(LIMITS), name=st.sampled_from(sorted(CALENDARS)))
def test_a_due_time_is_never_before_sending(start, limit, name):
    _urgency, _column, clock, minutes = limit
    assert due(start, clock, minutes, CALENDARS[name]) >= start


@PROPERTY
@given(start=YEAR, limit=st.sampled_from([x for x in LIMITS if x[2] == SlaClock.BUSINESS]),
       name=st.sampled_from(sorted(OFFICE_HOURS)))
def test_a_business_due_time_falls_inside_opening_hours(start, limit, name):
    _urgency, _column, clock, minutes = limit
    calendar = OFFICE_HOURS[name]
    at = due(start, clock, minutes, calendar)
    assert inside_opening_hours(at, calendar), (start, at)
    assert at.astimezone(calendar._zone).date() not in calendar.holidays


@PROPERTY
@given(first=YEAR, later_by=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)),
       limit=st.sampled_from(LIMITS), name=st.sampled_from(sorted(CALENDARS)))
def test_due_times_move_forward_with_the_sending_time(first, later_by, limit, name):
    _urgency, _column, clock, minutes = limit
    calendar = CALENDARS[name]
    assert due(first, clock, minutes, calendar) <= due(first + later_by, clock, minutes, calendar)


@PROPERTY
@given(start=MINUTE_ALIGNED, limit=st.sampled_from([x for x in LIMITS if x[2] == SlaClock.BUSINESS]),
       name=st.sampled_from(sorted(CALENDARS)))
def test_the_time_counted_to_the_due_time_is_the_budget(start, limit, name):
    _urgency, _column, _clock, minutes = limit
    calendar = CALENDARS[name]
    assert business_minutes_between(start, add_business_minutes(start, minutes, calendar), calendar) == minutes


@PROPERTY
@given(start=MINUTE_ALIGNED, pause_after=st.integers(0, 30 * 24 * 60), pause_for=st.integers(0, 20 * 24 * 60),
       limit=st.sampled_from([x for x in LIMITS if x[2] == SlaClock.BUSINESS]),
       name=st.sampled_from(sorted(CALENDARS)))
def test_a_pause_adds_exactly_the_business_time_it_lasted(start, pause_after, pause_for, limit, name):
    """What the engine does (pause_all / resume_all): keep the minutes used, count the rest from
    the resumption. The due time moves by the business time of the pause, no more, no less."""
    _urgency, _column, _clock, minutes = limit
    calendar = CALENDARS[name]
    unpaused = add_business_minutes(start, minutes, calendar)
    paused_at = start + timedelta(minutes=pause_after)
    if paused_at > unpaused:  # a pause after the due time is a breach, not a pause of the clock
        paused_at = unpaused
    resumed_at = paused_at + timedelta(minutes=pause_for)
    used = business_minutes_between(start, paused_at, calendar)
    resumed_due = add_business_minutes(resumed_at, minutes - used, calendar)
    assert resumed_due >= unpaused
    assert business_minutes_between(unpaused, resumed_due, calendar) \
        == business_minutes_between(paused_at, resumed_at, calendar)


@PROPERTY
@given(start=YEAR, name=st.sampled_from(sorted(CALENDARS)))
def test_emergency_limits_are_wall_clock_time(start, name):
    calendar = CALENDARS[name]
    policy = DEFAULT_POLICIES[Urgency.EMERGENCY]
    assert policy["clock"] == SlaClock.WALL
    for column in ("acknowledge_minutes", "decide_minutes", "first_action_minutes"):
        at = due(start, SlaClock.WALL, policy[column], calendar)
        assert at - start == timedelta(minutes=policy[column])


@PROPERTY
@given(assault=YEAR, name=st.sampled_from(sorted(CALENDARS)))
def test_clinical_deadlines_are_wall_clock_hours_never_business_time(assault, name):
    calendar = CALENDARS[name]
    assert {TimerKind.CLINICAL_PEP: timedelta(hours=72),
                                  TimerKind.CLINICAL_EC: timedelta(hours=120)} == CLINICAL_DEADLINES
    for window in CLINICAL_DEADLINES.values():
        at = due(assault, SlaClock.WALL, int(window.total_seconds() // 60), calendar)
        assert at - assault == window  # elapsed time, whatever the opening hours or clock changes


# --- named cases ---------------------------------------------------------------------------

URGENT_ACK = DEFAULT_POLICIES[Urgency.URGENT]["acknowledge_minutes"]  # one business day: 480
URGENT_DECIDE = DEFAULT_POLICIES[Urgency.URGENT]["decide_minutes"]  # two: 960


def test_the_named_dates_are_what_these_cases_assume():
    assert date(2027, 1, 8).weekday() == 4 and date(2027, 7, 29).weekday() == 3
    assert {date(2027, 1, 1), date(2027, 1, 11), date(2027, 7, 30)} <= NATIONAL
    assert date(2028, 2, 29).weekday() == 1
    # Morocco's last clock changes (tz 2026f: UTC+0 all year from 20 September 2026); every tz
    # database since 2019 agrees on them, so these cases hold whichever one the machine reads.
    assert casa(2026, 2, 13, 12, 0).utcoffset() == timedelta(hours=1)
    assert casa(2026, 3, 20, 12, 0).utcoffset() == timedelta(0)  # Ramadan time
    assert casa(2026, 3, 23, 12, 0).utcoffset() == timedelta(hours=1)
    assert date(2026, 2, 13).weekday() == 4 and date(2026, 3, 20).weekday() == 4
    assert casa(2028, 2, 29, 12, 0).utcoffset() == timedelta(0)
    assert datetime(2027, 3, 25, 12, tzinfo=HEBRON).utcoffset() == timedelta(hours=2)
    assert datetime(2027, 3, 28, 12, tzinfo=HEBRON).utcoffset() == timedelta(hours=3)


def test_friday_1655_before_a_weekend_in_tunis():
    # Tunis closes at 17:00: five minutes on Friday, the other 475 from 08:00 on Monday: 15:55.
    start = datetime(2027, 1, 8, 16, 55, tzinfo=TUNIS)
    assert add_business_minutes(start, URGENT_ACK, TUNISIA) == datetime(2027, 1, 11, 15, 55, tzinfo=TUNIS)


def test_friday_1655_before_a_weekend_and_a_holiday_monday_in_casablanca():
    # Casablanca has closed at 16:30; Monday 11 January is a national holiday: Tuesday 08:30 + 8 h.
    start = casa(2027, 1, 8, 16, 55)
    assert add_business_minutes(start, URGENT_ACK, MOROCCO) == casa(2027, 1, 12, 16, 30)
    assert add_business_minutes(start, URGENT_DECIDE, MOROCCO) == casa(2027, 1, 13, 16, 30)


def test_the_eve_of_a_national_holiday():
    # Thursday 29 July 15:00: 90 minutes that day; Friday is the Throne Day, then the weekend;
    # Monday 2 August from 08:30, 390 minutes more: 15:00.
    start = casa(2027, 7, 29, 15, 0)
    assert add_business_minutes(start, URGENT_ACK, MOROCCO) == casa(2027, 8, 2, 15, 0)


def test_the_eve_of_a_regional_holiday_only_in_its_region():
    # Wednesday 15 September 12:00: 270 minutes that day; Thursday is a holiday in one region only.
    start = casa(2027, 9, 15, 12, 0)
    assert add_business_minutes(start, URGENT_ACK, MOROCCO) == casa(2027, 9, 16, 12, 0)
    assert add_business_minutes(start, URGENT_ACK, MOROCCO_REGION) == casa(2027, 9, 17, 12, 0)


def test_31_december_to_1_january():
    # Thursday 31 December 14:00: 150 minutes; 1 January (Friday) is a holiday, then the weekend;
    # Monday 4 January from 08:30, 330 minutes more: 14:00.
    start = casa(2026, 12, 31, 14, 0)
    assert add_business_minutes(start, URGENT_ACK, MOROCCO) == casa(2027, 1, 4, 14, 0)
    # Around the clock: eight business hours are a whole day, counted across the new year.
    assert due_time(start, 24 * 60, SlaClock.BUSINESS, AROUND_THE_CLOCK) == casa(2027, 1, 1, 14, 0)


def test_29_february_2028():
    # Monday 28 February 12:00 (Ramadan time, UTC+0): 270 minutes; Tuesday 29 February 480;
    # Wednesday 1 March 210 more from 08:30: 12:00.
    start = casa(2028, 2, 28, 12, 0)
    assert add_business_minutes(start, URGENT_DECIDE, MOROCCO) == casa(2028, 3, 1, 12, 0)
    assert due_time(utc(2028, 2, 28, 23, 30), 240, SlaClock.WALL, MOROCCO) == utc(2028, 2, 29, 3, 30)


def test_the_end_of_ramadan_clock_change_to_the_minute():
    # Friday 20 March 2026 15:30 at UTC+0: 60 minutes; on Sunday 22 March at 02:00 the clocks go
    # forward to UTC+1; Monday 23 March from 08:30 local, 420 minutes: 15:30 local, 14:30 UTC.
    start = casa(2026, 3, 20, 15, 30)
    assert start.astimezone(UTC) == utc(2026, 3, 20, 15, 30)
    assert add_business_minutes(start, URGENT_ACK, MOROCCO) == utc(2026, 3, 23, 14, 30)
    # An emergency's 24 hours across the change: 24 real hours, so 13:00 on the new local clock.
    emergency = due_time(casa(2026, 3, 21, 12, 0), 24 * 60, SlaClock.WALL, MOROCCO)
    assert emergency == utc(2026, 3, 22, 12, 0) and emergency.astimezone(CASABLANCA).hour == 13


def test_the_start_of_ramadan_clock_change_to_the_minute():
    # Friday 13 February 2026 16:00 at UTC+1: 30 minutes; on Sunday 15 February at 03:00 the clocks
    # go back to 02:00 (UTC+0); Monday 16 February from 08:30 local, 450 minutes: 16:00 local = UTC.
    start = casa(2026, 2, 13, 16, 0)
    assert add_business_minutes(start, URGENT_ACK, MOROCCO) == utc(2026, 2, 16, 16, 0)
    # 72 clinical hours from Saturday 22:00 local (21:00 UTC): Tuesday 21:00 UTC, 21:00 local.
    pep = due_time(casa(2026, 2, 14, 22, 0), 72 * 60, SlaClock.WALL, MOROCCO)
    assert pep == utc(2026, 2, 17, 21, 0) and pep.astimezone(CASABLANCA).hour == 21


def test_hebron_across_its_spring_forward_weekend():
    # Thursday 25 March 2027 14:00 (UTC+2): one open hour; Friday and Saturday are closed, and the
    # clocks go forward on Saturday; Sunday 28 March (UTC+3) 08:00-15:00 gives the other 420.
    start = datetime(2027, 3, 25, 14, 0, tzinfo=HEBRON)
    assert add_business_minutes(start, URGENT_ACK, PALESTINE) == utc(2027, 3, 28, 12, 0)


def test_tunis_over_a_holiday_without_clock_changes():
    # Friday 19 March 2027 16:00: 60 minutes; Saturday 20 March is Independence Day (a weekend day
    # anyway); Monday 22 March 08:00 + 420: 15:00, UTC+1 all year.
    start = datetime(2027, 3, 19, 16, 0, tzinfo=TUNIS)
    assert add_business_minutes(start, URGENT_ACK, TUNISIA) == utc(2027, 3, 22, 14, 0)
