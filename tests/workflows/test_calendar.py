"""Tests for referral.workflows.calendar: business-time arithmetic in the receiving agency's zone.

Expected instants are pinned in UTC wherever the UTC offset matters, and the offsets themselves are
asserted from zoneinfo, so a change in the time zone database shows up as a clear failure.
"""

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from referral.workflows.calendar import (
    MINUTES_PER_BUSINESS_DAY,
    BusinessCalendar,
    add_business_minutes,
    business_day_minutes,
    business_minutes_between,
    is_open,
    next_opening,
)

CASABLANCA = ZoneInfo("Africa/Casablanca")
TUNIS = ZoneInfo("Africa/Tunis")
HEBRON = ZoneInfo("Asia/Hebron")
WEEKDAYS = ("0", "1", "2", "3", "4")

MOROCCO = BusinessCalendar("Africa/Casablanca", {d: [["08:30", "16:30"]] for d in WEEKDAYS})
MOROCCO_SPLIT = BusinessCalendar(
    "Africa/Casablanca", {d: [["08:30", "12:00"], ["14:00", "16:30"]] for d in WEEKDAYS}
)
TUNISIA = BusinessCalendar("Africa/Tunis", {d: [["08:00", "17:00"]] for d in WEEKDAYS})
# Palestinian agency working Sunday to Thursday.
PALESTINE = BusinessCalendar("Asia/Hebron", {d: [["08:00", "15:00"]] for d in ("6", "0", "1", "2", "3")})
# A night line open on Saturdays 00:00-06:00: Hebron changes its clocks inside these hours.
HEBRON_NIGHT = BusinessCalendar("Asia/Hebron", {"5": [["00:00", "06:00"]]})
ALWAYS = BusinessCalendar("Asia/Hebron", {}, open_24_7=True)
NEVER = BusinessCalendar("Africa/Casablanca", {})


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def casa(*args: int) -> datetime:
    return datetime(*args, tzinfo=CASABLANCA)


# --- validation ----------------------------------------------------------------------------


def test_unknown_time_zone_is_rejected():
    with pytest.raises(ValueError, match="time zone"):
        BusinessCalendar("Africa/Atlantis", {})


def test_malformed_time_zone_is_rejected():
    with pytest.raises(ValueError, match="time zone"):
        BusinessCalendar("../etc/passwd", {})


@pytest.mark.parametrize(
    "interval",
    [
        ["8:30", "16:30"],  # not HH:MM
        ["08:30", "16:60"],
        ["25:00", "26:00"],
        ["24:00", "24:00"],  # 24:00 is only an end
        ["08:00", "24:30"],
        ["٠٨:٣٠", "16:30"],  # Arabic-Indic digits: stored hours are ASCII
        ["16:30", "08:30"],  # backwards
        ["08:30", "08:30"],  # empty
        ["08:30"],
        "08:30-16:30",
        [830, 1630],
    ],
)
def test_bad_interval_is_rejected(interval):
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        BusinessCalendar("Africa/Casablanca", {"0": [interval]})


def test_overlapping_intervals_are_rejected():
    with pytest.raises(ValueError, match="overlap"):
        BusinessCalendar("Africa/Casablanca", {"0": [["08:30", "12:30"], ["12:00", "16:30"]]})


def test_unsorted_intervals_are_rejected():
    with pytest.raises(ValueError, match="sorted"):
        BusinessCalendar("Africa/Casablanca", {"0": [["14:00", "16:30"], ["08:30", "12:00"]]})


def test_unknown_weekday_is_rejected():
    with pytest.raises(ValueError, match="weekdays"):
        BusinessCalendar("Africa/Casablanca", {"7": [["08:30", "16:30"]]})


def test_touching_intervals_and_midnight_end_are_accepted():
    calendar = BusinessCalendar("Africa/Tunis", {"0": [["08:00", "12:00"], ["12:00", "24:00"]]})
    assert business_day_minutes(calendar) == 16 * 60


def test_empty_calendar_can_be_built_and_24_7_needs_no_hours():
    assert NEVER.opening_hours == {}
    assert ALWAYS.open_24_7


def test_holidays_are_frozen_and_calendar_is_hashable():
    calendar = BusinessCalendar("Africa/Tunis", {"0": [["08:00", "17:00"]]}, holidays={date(2025, 1, 1)})
    assert calendar.holidays == frozenset({date(2025, 1, 1)})
    assert isinstance(calendar.holidays, frozenset)
    same = BusinessCalendar("Africa/Tunis", {"0": [["08:00", "17:00"]]}, frozenset({date(2025, 1, 1)}))
    assert calendar == same
    assert hash(calendar) == hash(same)


# --- business_day_minutes ------------------------------------------------------------------


def test_business_day_of_a_plain_week():
    assert business_day_minutes(MOROCCO) == 480 == MINUTES_PER_BUSINESS_DAY


def test_business_day_of_a_split_week():
    assert business_day_minutes(MOROCCO_SPLIT) == 210 + 150


def test_business_day_ignores_an_odd_short_day():
    hours = {**{d: [["08:30", "16:30"]] for d in WEEKDAYS}, "5": [["09:00", "12:00"]]}
    assert business_day_minutes(BusinessCalendar("Africa/Casablanca", hours)) == 480


def test_business_day_tie_goes_to_the_longer_day():
    hours = {
        "0": [["08:00", "14:00"]],
        "1": [["08:00", "14:00"]],
        "2": [["08:00", "16:00"]],
        "3": [["08:00", "16:00"]],
    }
    assert business_day_minutes(BusinessCalendar("Africa/Tunis", hours)) == 480


def test_business_day_of_24_7_is_a_whole_day():
    assert business_day_minutes(ALWAYS) == 1440


def test_business_day_of_never_open_calendar_raises():
    with pytest.raises(ValueError, match="never open"):
        business_day_minutes(NEVER)


# --- Morocco -------------------------------------------------------------------------------


def test_june_in_casablanca_is_utc_plus_one():
    assert casa(2025, 6, 6, 15, 0).utcoffset() == timedelta(hours=1)


def test_friday_afternoon_request_is_due_monday_afternoon():
    due = add_business_minutes(casa(2025, 6, 6, 15, 0), 480, MOROCCO)
    assert due == utc(2025, 6, 9, 14, 0)  # Monday 15:00 in Casablanca
    assert due.tzinfo is UTC


def test_start_in_another_zone_counts_in_the_agency_zone():
    # 14:00 UTC is 15:00 in Casablanca, whatever zone the sender's clock used.
    start = datetime(2025, 6, 6, 16, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert add_business_minutes(start, 480, MOROCCO) == utc(2025, 6, 9, 14, 0)


def test_request_arriving_at_night_counts_from_next_morning():
    assert add_business_minutes(casa(2025, 6, 10, 22, 0), 60, MOROCCO) == casa(2025, 6, 11, 9, 30)


def test_request_arriving_before_dawn_counts_from_same_morning():
    assert add_business_minutes(casa(2025, 6, 10, 3, 0), 60, MOROCCO) == casa(2025, 6, 10, 9, 30)


def test_budget_ending_at_closing_time_is_due_at_closing_time():
    assert add_business_minutes(casa(2025, 6, 9, 8, 30), 480, MOROCCO) == casa(2025, 6, 9, 16, 30)


def test_one_more_minute_rolls_over_to_next_morning():
    assert add_business_minutes(casa(2025, 6, 9, 8, 30), 481, MOROCCO) == casa(2025, 6, 10, 8, 31)


def test_holiday_in_the_middle_is_skipped():
    with_holiday = BusinessCalendar(MOROCCO.timezone, MOROCCO.opening_hours, frozenset({date(2025, 6, 11)}))
    start = casa(2025, 6, 9, 10, 0)  # Monday
    assert add_business_minutes(start, 3 * 480, MOROCCO) == casa(2025, 6, 12, 10, 0)  # Thursday
    assert add_business_minutes(start, 3 * 480, with_holiday) == casa(2025, 6, 13, 10, 0)  # Friday


def test_fifteen_business_days_skip_three_weekends():
    # Monday 9 June + 15 business days: 3 full weeks later, same time.
    assert add_business_minutes(casa(2025, 6, 9, 10, 0), 15 * 480, MOROCCO) == casa(2025, 6, 30, 10, 0)


def test_ramadan_offset_change_in_morocco():
    # Casablanca goes to UTC+0 for Ramadan 2025 on Sunday 23 February (a closed day).
    start = casa(2025, 2, 21, 15, 0)
    assert start.utcoffset() == timedelta(hours=1)
    assert casa(2025, 2, 24, 15, 0).utcoffset() == timedelta(0)
    due = add_business_minutes(start, 480, MOROCCO)
    assert due == utc(2025, 2, 24, 15, 0)  # Monday 15:00 local, now UTC+0
    assert business_minutes_between(start, due, MOROCCO) == 480


# --- split day -----------------------------------------------------------------------------


def test_split_day_skips_the_lunch_break():
    assert add_business_minutes(casa(2025, 6, 9, 11, 0), 120, MOROCCO_SPLIT) == casa(2025, 6, 9, 15, 0)


def test_split_day_request_during_lunch_starts_at_afternoon_opening():
    assert add_business_minutes(casa(2025, 6, 9, 12, 30), 30, MOROCCO_SPLIT) == casa(2025, 6, 9, 14, 30)


def test_split_day_one_business_day_is_same_time_next_day():
    day = business_day_minutes(MOROCCO_SPLIT)
    assert add_business_minutes(casa(2025, 6, 9, 11, 0), day, MOROCCO_SPLIT) == casa(2025, 6, 10, 11, 0)


def test_split_day_budget_ending_at_noon_is_due_at_noon():
    assert add_business_minutes(casa(2025, 6, 9, 8, 30), 210, MOROCCO_SPLIT) == casa(2025, 6, 9, 12, 0)


def test_split_day_between_excludes_lunch():
    assert business_minutes_between(casa(2025, 6, 9, 11, 0), casa(2025, 6, 9, 15, 0), MOROCCO_SPLIT) == 120


# --- Tunisia -------------------------------------------------------------------------------


def test_tunis_has_no_dst():
    assert datetime(2025, 1, 16, tzinfo=TUNIS).utcoffset() == timedelta(hours=1)
    assert datetime(2025, 7, 16, tzinfo=TUNIS).utcoffset() == timedelta(hours=1)


def test_tunisian_two_day_deadline_over_a_weekend():
    # Thursday 16:00 + 2 days of 9 hours: 1 h Thursday, 9 h Friday, 8 h Monday.
    start = datetime(2025, 1, 16, 16, 0, tzinfo=TUNIS)
    due = add_business_minutes(start, 2 * 540, TUNISIA)
    assert due == utc(2025, 1, 20, 15, 0)  # Monday 16:00 in Tunis
    assert business_minutes_between(start, due, TUNISIA) == 1080


# --- Palestine (DST) -----------------------------------------------------------------------


def test_hebron_spring_forward_between_thursday_and_sunday():
    start = datetime(2025, 4, 10, 14, 0, tzinfo=HEBRON)
    assert start.utcoffset() == timedelta(hours=2)
    due = add_business_minutes(start, 420, PALESTINE)
    assert due == utc(2025, 4, 13, 11, 0)  # Sunday 14:00, now UTC+3
    assert due.astimezone(HEBRON).utcoffset() == timedelta(hours=3)
    assert business_minutes_between(start, due, PALESTINE) == 420


def test_hebron_fall_back_between_thursday_and_sunday():
    start = datetime(2025, 10, 23, 14, 0, tzinfo=HEBRON)
    assert start.utcoffset() == timedelta(hours=3)
    due = add_business_minutes(start, 420, PALESTINE)
    assert due == utc(2025, 10, 26, 12, 0)  # Sunday 14:00, now UTC+2
    assert business_minutes_between(start, due, PALESTINE) == 420


def test_hebron_friday_and_saturday_are_closed():
    assert not is_open(datetime(2025, 4, 11, 10, 0, tzinfo=HEBRON), PALESTINE)
    assert is_open(datetime(2025, 4, 13, 10, 0, tzinfo=HEBRON), PALESTINE)


def test_spring_forward_inside_opening_hours_counts_real_minutes():
    # Saturday 12 April 2025: 02:00 local does not exist, clocks jump to 03:00.
    start, end = utc(2025, 4, 11, 22, 0), utc(2025, 4, 12, 3, 0)  # 00:00 (+2) and 06:00 (+3) local
    assert start.astimezone(HEBRON).hour == 0
    assert end.astimezone(HEBRON).hour == 6
    assert business_minutes_between(start, end, HEBRON_NIGHT) == 300
    assert add_business_minutes(start, 300, HEBRON_NIGHT) == end
    assert add_business_minutes(start, 120, HEBRON_NIGHT) == utc(2025, 4, 12, 0, 0)  # 03:00 local
    assert add_business_minutes(start, 121, HEBRON_NIGHT) == utc(2025, 4, 12, 0, 1)


def test_fall_back_inside_opening_hours_counts_the_repeated_hour():
    # Saturday 25 October 2025: 01:00-02:00 local happens twice (+3 then +2).
    start, end = utc(2025, 10, 24, 21, 0), utc(2025, 10, 25, 4, 0)  # 00:00 (+3) and 06:00 (+2) local
    assert business_minutes_between(start, end, HEBRON_NIGHT) == 420
    assert add_business_minutes(start, 420, HEBRON_NIGHT) == end
    assert add_business_minutes(start, 90, HEBRON_NIGHT) == utc(2025, 10, 24, 22, 30)  # first 01:30
    assert add_business_minutes(start, 150, HEBRON_NIGHT) == utc(2025, 10, 24, 23, 30)  # second 01:30


def test_interval_starting_inside_a_dst_gap_opens_when_the_gap_ends():
    calendar = BusinessCalendar("Asia/Hebron", {"5": [["02:30", "06:00"]]})
    friday_night = datetime(2025, 4, 11, 23, 0, tzinfo=HEBRON)
    assert next_opening(friday_night, calendar) == utc(2025, 4, 12, 0, 0)  # 03:00 local (+3)
    assert business_minutes_between(friday_night, utc(2025, 4, 12, 12, 0), calendar) == 180


def test_interval_entirely_inside_a_dst_gap_is_skipped():
    calendar = BusinessCalendar("Asia/Hebron", {"5": [["02:00", "02:45"], ["04:00", "05:00"]]})
    friday_night = datetime(2025, 4, 11, 23, 0, tzinfo=HEBRON)
    assert next_opening(friday_night, calendar) == utc(2025, 4, 12, 1, 0)  # 04:00 local (+3)
    assert business_minutes_between(friday_night, utc(2025, 4, 12, 12, 0), calendar) == 60
    # The following Saturday has no gap: both intervals count.
    assert business_minutes_between(utc(2025, 4, 18, 12, 0), utc(2025, 4, 19, 12, 0), calendar) == 105


def test_interval_ending_at_midnight_continues_into_next_day():
    calendar = BusinessCalendar("Africa/Tunis", {"0": [["20:00", "24:00"]], "1": [["00:00", "04:00"]]})
    start = datetime(2025, 1, 20, 23, 0, tzinfo=TUNIS)  # Monday
    assert add_business_minutes(start, 120, calendar) == datetime(2025, 1, 21, 1, 0, tzinfo=TUNIS)
    assert is_open(datetime(2025, 1, 21, 0, 0, tzinfo=TUNIS), calendar)
    assert not is_open(datetime(2025, 1, 21, 4, 0, tzinfo=TUNIS), calendar)


def test_fall_back_across_midnight_puts_late_evening_in_next_days_interval():
    # Antarctica/Casey, 4 March 2010 15:00 UTC: clocks went from 5 March 02:00 (+11) back to 4 March
    # 23:00 (+8). 00:00-04:00 of 5 March starts at its first occurrence (fold=0): 13:00 UTC.
    zone = ZoneInfo("Antarctica/Casey")
    assert utc(2010, 3, 4, 14, 59).astimezone(zone).utcoffset() == timedelta(hours=11)
    assert utc(2010, 3, 4, 15, 0).astimezone(zone).utcoffset() == timedelta(hours=8)
    calendar = BusinessCalendar("Antarctica/Casey", {d: [["00:00", "04:00"]] for d in "0123456"})
    late_evening = utc(2010, 3, 4, 15, 30)  # 23:30 on 4 March, second time round
    assert late_evening.astimezone(zone).day == 4
    assert is_open(late_evening, calendar)
    assert business_minutes_between(utc(2010, 3, 4, 15, 0), utc(2010, 3, 4, 15, 59), calendar) == 59
    # Wall 00:00-02:00 is read at +11, 02:00-04:00 at +8: 7 real hours, 13:00-20:00 UTC.
    assert business_minutes_between(utc(2010, 3, 4, 12, 0), utc(2010, 3, 4, 21, 0), calendar) == 420
    assert add_business_minutes(utc(2010, 3, 4, 12, 0), 420, calendar) == utc(2010, 3, 4, 20, 0)
    assert next_opening(utc(2010, 3, 4, 12, 0), calendar) == utc(2010, 3, 4, 13, 0)


# --- 24/7 ----------------------------------------------------------------------------------


def test_24_7_adds_wall_minutes_across_dst():
    start = utc(2025, 10, 24, 21, 0)  # Saturday 00:00 in Hebron, before the fall back
    assert add_business_minutes(start, 420, ALWAYS) == utc(2025, 10, 25, 4, 0)
    assert business_minutes_between(start, utc(2025, 10, 25, 4, 0), ALWAYS) == 420


def test_24_7_ignores_holidays():
    calendar = BusinessCalendar("Africa/Tunis", {}, frozenset({date(2025, 1, 1)}), open_24_7=True)
    start = datetime(2025, 1, 1, 3, 0, tzinfo=TUNIS)
    assert is_open(start, calendar)
    assert next_opening(start, calendar) == utc(2025, 1, 1, 2, 0)
    assert add_business_minutes(start, 1440, calendar) == utc(2025, 1, 2, 2, 0)


def test_24_7_between_uses_real_elapsed_time_even_with_same_tzinfo():
    # Same tzinfo on both sides: naive Python subtraction would say 6 hours, real time is 7.
    start = datetime(2025, 10, 25, 0, 0, tzinfo=HEBRON)
    end = datetime(2025, 10, 25, 6, 0, tzinfo=HEBRON)
    assert business_minutes_between(start, end, ALWAYS) == 420


# --- zero, negative, naive, never open -----------------------------------------------------


def test_zero_minutes_inside_open_time_returns_start():
    start = casa(2025, 6, 9, 10, 0)
    assert add_business_minutes(start, 0, MOROCCO) == start
    assert add_business_minutes(start, 0, MOROCCO).tzinfo is UTC


def test_zero_minutes_outside_open_time_returns_start_unchanged():
    start = casa(2025, 6, 7, 22, 0)  # Saturday night
    assert add_business_minutes(start, 0, MOROCCO) == utc(2025, 6, 7, 21, 0)


def test_negative_minutes_are_rejected():
    with pytest.raises(ValueError, match="negative"):
        add_business_minutes(casa(2025, 6, 9, 10, 0), -1, MOROCCO)


@pytest.mark.parametrize(
    "call",
    [
        lambda at: add_business_minutes(at, 60, MOROCCO),
        lambda at: add_business_minutes(at, 60, ALWAYS),
        lambda at: business_minutes_between(at, at + timedelta(hours=1), MOROCCO),
        lambda at: business_minutes_between(casa(2025, 6, 9, 10, 0), at, MOROCCO),
        lambda at: is_open(at, MOROCCO),
        lambda at: next_opening(at, MOROCCO),
    ],
)
def test_naive_datetime_is_rejected(call):
    with pytest.raises(ValueError, match="aware"):
        call(datetime(2025, 6, 9, 10, 0))


def test_never_open_calendar_raises_when_counting():
    with pytest.raises(ValueError, match="never open"):
        add_business_minutes(casa(2025, 6, 9, 10, 0), 60, NEVER)
    with pytest.raises(ValueError, match="never open"):
        add_business_minutes(casa(2025, 6, 9, 10, 0), 0, NEVER)
    with pytest.raises(ValueError, match="never open"):
        next_opening(casa(2025, 6, 9, 10, 0), NEVER)


def test_never_open_calendar_is_closed_and_accrues_nothing():
    assert not is_open(casa(2025, 6, 9, 10, 0), NEVER)
    assert business_minutes_between(casa(2025, 6, 9), casa(2025, 7, 9), NEVER) == 0


def _mondays(first: date, last: date) -> frozenset[date]:
    day = first + timedelta(days=(7 - first.weekday()) % 7)
    mondays = set()
    while day <= last:
        mondays.add(day)
        day += timedelta(days=7)
    return frozenset(mondays)


def test_calendar_whose_open_days_are_all_holidays_raises_instead_of_looping():
    calendar = BusinessCalendar(
        "Africa/Casablanca", {"0": [["08:30", "16:30"]]}, _mondays(date(2025, 1, 1), date(2030, 12, 31))
    )
    with pytest.raises(ValueError, match="no open time"):
        add_business_minutes(casa(2025, 1, 1, 9, 0), 60, calendar)
    with pytest.raises(ValueError, match="no open time"):
        next_opening(casa(2025, 1, 1, 9, 0), calendar)


def test_two_years_of_holidays_are_scanned_through():
    calendar = BusinessCalendar(
        "Africa/Casablanca", {"0": [["08:30", "16:30"]]}, _mondays(date(2025, 1, 1), date(2026, 12, 31))
    )
    assert next_opening(casa(2025, 1, 1, 9, 0), calendar) == casa(2027, 1, 4, 8, 30)
    assert add_business_minutes(casa(2025, 1, 1, 9, 0), 60, calendar) == casa(2027, 1, 4, 9, 30)


# --- is_open / next_opening / between ------------------------------------------------------


def test_is_open_boundaries():
    assert not is_open(casa(2025, 6, 9, 8, 29, 59), MOROCCO)
    assert is_open(casa(2025, 6, 9, 8, 30), MOROCCO)
    assert is_open(casa(2025, 6, 9, 16, 29, 59), MOROCCO)
    assert not is_open(casa(2025, 6, 9, 16, 30), MOROCCO)
    assert not is_open(casa(2025, 6, 7, 10, 0), MOROCCO)  # Saturday


def test_is_open_false_on_holiday():
    calendar = BusinessCalendar(MOROCCO.timezone, MOROCCO.opening_hours, frozenset({date(2025, 6, 9)}))
    assert not is_open(casa(2025, 6, 9, 10, 0), calendar)
    assert is_open(casa(2025, 6, 10, 10, 0), calendar)


def test_next_opening_when_open_is_the_instant_itself_in_utc():
    result = next_opening(casa(2025, 6, 9, 10, 15, 30), MOROCCO)
    assert result == utc(2025, 6, 9, 9, 15, 30)
    assert result.tzinfo is UTC


def test_next_opening_at_closing_time_is_next_morning():
    assert next_opening(casa(2025, 6, 9, 16, 30), MOROCCO) == casa(2025, 6, 10, 8, 30)


def test_next_opening_from_friday_evening_is_monday():
    assert next_opening(casa(2025, 6, 6, 18, 0), MOROCCO) == casa(2025, 6, 9, 8, 30)


def test_next_opening_skips_a_holiday_monday():
    calendar = BusinessCalendar(MOROCCO.timezone, MOROCCO.opening_hours, frozenset({date(2025, 6, 9)}))
    assert next_opening(casa(2025, 6, 6, 18, 0), calendar) == casa(2025, 6, 10, 8, 30)


def test_between_is_zero_when_end_is_not_after_start():
    start = casa(2025, 6, 9, 10, 0)
    assert business_minutes_between(start, start, MOROCCO) == 0
    assert business_minutes_between(start, start - timedelta(hours=1), MOROCCO) == 0


def test_between_floors_to_whole_minutes():
    start = casa(2025, 6, 9, 8, 30)
    assert business_minutes_between(start, casa(2025, 6, 9, 8, 31, 59), MOROCCO) == 1
    assert business_minutes_between(casa(2025, 6, 9, 8, 29, 30), casa(2025, 6, 9, 8, 31, 29), MOROCCO) == 1


def test_between_over_a_weekend_counts_only_open_time():
    # Friday 15:00 to Monday 10:00: 90 + 90 minutes.
    assert business_minutes_between(casa(2025, 6, 6, 15, 0), casa(2025, 6, 9, 10, 0), MOROCCO) == 180


def test_between_over_four_weeks():
    assert business_minutes_between(casa(2025, 6, 2), casa(2025, 6, 30), MOROCCO) == 20 * 480


# --- properties over random starts and budgets ---------------------------------------------

CALENDARS = [
    MOROCCO,
    MOROCCO_SPLIT,
    TUNISIA,
    PALESTINE,
    HEBRON_NIGHT,
    BusinessCalendar(
        "Africa/Casablanca",
        {d: [["08:30", "16:30"]] for d in WEEKDAYS},
        frozenset({date(2025, 3, 31), date(2025, 4, 1), date(2025, 7, 30), date(2025, 11, 6)}),
    ),
    BusinessCalendar("Asia/Hebron", {d: [["00:00", "03:00"], ["22:00", "24:00"]] for d in "0123456"}),
]


def _random_start(rng: random.Random) -> datetime:
    """Any instant of 2025, with seconds, so starts land inside and outside open time."""
    return utc(2025, 1, 1) + timedelta(seconds=rng.randrange(365 * 24 * 3600))


def test_add_then_between_round_trips():
    rng = random.Random(20250609)
    for _ in range(300):
        calendar = rng.choice(CALENDARS)
        start = _random_start(rng)
        minutes = rng.choice([0, 1, 59, 60, 480, rng.randrange(1, 15 * 480)])
        due = add_business_minutes(start, minutes, calendar)
        assert due >= start
        assert business_minutes_between(start, due, calendar) == minutes, (calendar.timezone, start, minutes)
        if minutes:
            # The due instant is the first one at which the budget is spent.
            assert business_minutes_between(start, due - timedelta(seconds=1), calendar) == minutes - 1
            assert due >= next_opening(start, calendar)


def test_add_is_additive():
    rng = random.Random(7)
    for _ in range(300):
        calendar = rng.choice(CALENDARS)
        start = _random_start(rng)
        first, second = rng.randrange(0, 3 * 480), rng.randrange(0, 3 * 480)
        middle = add_business_minutes(start, first, calendar)
        assert add_business_minutes(middle, second, calendar) == add_business_minutes(
            start, first + second, calendar
        )


def test_next_opening_is_open_and_nothing_opens_before_it():
    rng = random.Random(11)
    for _ in range(300):
        calendar = rng.choice(CALENDARS)
        start = _random_start(rng)
        opening = next_opening(start, calendar)
        assert is_open(opening, calendar)
        assert opening >= start
        assert business_minutes_between(start, opening, calendar) == 0
        assert is_open(start, calendar) == (opening == start)


def test_between_agrees_with_is_open_minute_by_minute():
    rng = random.Random(3)
    dst_weekends = [utc(2025, 4, 10), utc(2025, 10, 23), utc(2025, 2, 21), utc(2025, 4, 4)]
    for _ in range(30):
        calendar = rng.choice(CALENDARS)
        start = rng.choice(dst_weekends) + timedelta(minutes=rng.randrange(2 * 24 * 60))
        span = rng.randrange(1, 3 * 24 * 60)
        counted = sum(is_open(start + timedelta(minutes=k), calendar) for k in range(span))
        assert business_minutes_between(start, start + timedelta(minutes=span), calendar) == counted
