"""Response-time statistics on a small network built by hand: every median and 90th percentile
below was worked out on paper from the minutes each referral waited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from referral.extensions import db
from referral.models import Referral
from referral.models.vocab import ServiceCategory as C
from referral.models.vocab import TimerKind, Urgency
from referral.policy import PermissionDenied
from referral.services import metrics
from referral.services.metrics import MetricsFilter
from referral.workflows.engine import fire
from tests.factories import as_user, consent_and_refer, make_case, record_breach

#: Data built relative to the clock meets the national holidays when the clock is near one.
pytestmark = pytest.mark.usefixtures("national_holidays")

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday
PERIOD = MetricsFilter.for_dates(date(2026, 1, 1), date(2026, 3, 1))


def at(day: int, month: int = 1, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Dataset:
    police: list[Referral]
    hospital: list[Referral]
    legal: list[Referral]


def _move(referral, officer, steps):
    """Fire (action, minutes after sending[, message]) in order, as the receiving officer."""
    with as_user(officer):
        for action, minutes, *message in steps:
            fire(referral, action, officer, at=referral.sent_at + timedelta(minutes=minutes),
                 reason="no_capacity" if action == "decline" else None, message=message[0] if message else None)
    db.session.commit()


@pytest.fixture
def data(world) -> Dataset:
    w = world
    case = make_case(w.cw_a)
    police_service = w.service(w.police, C.POLICE_PROTECTION)
    medical = w.service(w.hospital, C.MEDICAL)
    legal = w.service(w.assoc_b, C.LEGAL)

    # Police, urgent: P1..P5 sent on Monday 5 January, P6 and P7 a week later.
    sent = [at(5, hour=9 + i) for i in range(5)] + [at(12, hour=10), at(12, hour=11)]
    police = [consent_and_refer(w.cw_a, case, police_service, urgency="urgent", at=t) for t in sent]
    officer = w.officer_police
    _move(police[0], officer, [("acknowledge", 10), ("accept", 60), ("start", 1440),
                               ("complete", 10080, "Protection order obtained.")])
    _move(police[1], officer, [("acknowledge", 20), ("accept", 120), ("start", 2880)])
    _move(police[2], officer, [("acknowledge", 30), ("accept", 180), ("start", 4320)])
    _move(police[3], officer, [("acknowledge", 40), ("accept", 240)])
    _move(police[4], officer, [("acknowledge", 50), ("decline", 600)])
    _move(police[5], officer, [("acknowledge", 60)])
    _move(police[6], officer, [("acknowledge", 90)])

    # Hospital, emergency: accepted at once (acknowledges too); H1 also started.
    hospital = [consent_and_refer(w.cw_a, case, medical, urgency="emergency", at=at(6, hour=8, minute=10 * i))
                for i in range(5)]
    for referral, minutes in zip(hospital, (5, 5, 15, 25, 100), strict=True):
        _move(referral, w.officer_hospital, [("accept", minutes)])
    _move(hospital[0], w.officer_hospital, [("start", 30)])

    # Association B, standard: two referrals acknowledged, then nothing (a group too small to show).
    legal_referrals = [consent_and_refer(w.cw_a, case, legal, urgency="standard", at=at(2, 2, hour=h))
                       for h in (9, 10)]
    for referral, minutes in zip(legal_referrals, (30, 45), strict=True):
        _move(referral, w.cw_b, [("acknowledge", minutes)])

    # Outside the period: before it, and on the day after it.
    consent_and_refer(w.cw_a, case, police_service, urgency="urgent", at=datetime(2025, 12, 20, 9, tzinfo=UTC))
    consent_and_refer(w.cw_a, case, police_service, urgency="urgent", at=at(2, 3, hour=10))

    # Breaches: P6 (decide), P7 twice (acknowledge, decide) - one referral with a breach, counted once.
    record_breach(police[5], TimerKind.DECIDE, at(14, hour=10))
    record_breach(police[6], TimerKind.ACKNOWLEDGE, at(13, hour=12))
    record_breach(police[6], TimerKind.DECIDE, at(15, hour=12))
    return Dataset(police=police, hospital=hospital, legal=legal_referrals)


def by_key(rows):
    return {r.key: r for r in rows}


def test_per_agency_counts_rates_and_percentiles(world, data):
    rows = by_key(metrics.group_stats(world.coordinator, PERIOD, "agency", now=NOW))
    assert set(rows) == {world.police.id, world.hospital.id, world.assoc_b.id}

    police = rows[world.police.id]
    assert (police.sent, police.open, police.overdue, police.breached) == (7, 5, 3, 2)
    assert police.breach_rate == pytest.approx(2 / 7)
    ack = police.durations["acknowledge"]
    # [10, 20, 30, 40, 50, 60, 90]: median the 4th; p90 at rank 1 + 0.9*6 = 6.4 -> 60 + .4*30.
    assert (ack.count, ack.median, ack.p90) == (7, pytest.approx(40), pytest.approx(72))
    decide = police.durations["decide"]
    # [60, 120, 180, 240, 600] (the decline decides too): median 180; p90 at 4.6 -> 240 + .6*360.
    assert (decide.count, decide.median, decide.p90) == (5, pytest.approx(180), pytest.approx(456))
    first = police.durations["first_action"]
    assert (first.count, first.median) == (3, pytest.approx(2880)) and first.suppressed
    complete = police.durations["complete"]
    assert (complete.count, complete.median, complete.p90) == (1, pytest.approx(10080), pytest.approx(10080))

    hospital = rows[world.hospital.id]
    assert (hospital.sent, hospital.open, hospital.overdue, hospital.breached) == (5, 5, 4, 0)
    assert hospital.breach_rate == 0
    for step in ("acknowledge", "decide"):
        d = hospital.durations[step]
        # [5, 5, 15, 25, 100]: median 15; p90 at 4.6 -> 25 + .6*75.
        assert (d.count, d.median, d.p90) == (5, pytest.approx(15), pytest.approx(70))
        assert not d.suppressed

    legal = rows[world.assoc_b.id]
    assert (legal.sent, legal.open, legal.overdue) == (2, 2, 2)
    assert legal.suppressed and not police.suppressed and not hospital.suppressed
    assert legal.durations["decide"].count == 0 and legal.durations["decide"].median is None
    assert legal.durations["acknowledge"].suppressed


def test_totals_pool_every_group(world, data):
    total = metrics.totals(world.coordinator, PERIOD, now=NOW)
    assert (total.sent, total.open, total.overdue, total.breached) == (14, 12, 9, 2)
    ack = total.durations["acknowledge"]
    # [5, 5, 10, 15, 20, 25, 30, 30, 40, 45, 50, 60, 90, 100]: median (30+30)/2; p90 at rank
    # 1 + 0.9*13 = 12.7 -> 60 + .7*30.
    assert (ack.count, ack.median, ack.p90) == (14, pytest.approx(30), pytest.approx(81))
    decide = total.durations["decide"]
    # [5, 5, 15, 25, 60, 100, 120, 180, 240, 600]: median (60+100)/2; p90 at 9.1 -> 240 + .1*360.
    assert (decide.count, decide.median, decide.p90) == (10, pytest.approx(80), pytest.approx(276))


def test_other_groupings(world, data):
    coordinator = world.coordinator
    regions = by_key(metrics.group_stats(coordinator, PERIOD, "region", now=NOW))
    assert {k: r.sent for k, r in regions.items()} == {world.r1.id: 9, world.r2.id: 5}
    urgencies = by_key(metrics.group_stats(coordinator, PERIOD, "urgency", now=NOW))
    assert {k: (r.sent, r.overdue) for k, r in urgencies.items()} == {
        "urgent": (7, 3), "emergency": (5, 4), "standard": (2, 2)}
    services = metrics.group_stats(coordinator, PERIOD, "service", now=NOW)
    assert [(r.key, r.sent) for r in services] == [("police_protection", 7), ("medical", 5), ("legal", 2)]
    assert by_key(services)["medical"].durations["acknowledge"].median == pytest.approx(15)


def test_filters_narrow_the_population(world, data):
    c = world.coordinator
    only_urgent = MetricsFilter.for_dates(date(2026, 1, 1), date(2026, 3, 1), urgency=Urgency.URGENT)
    assert metrics.totals(c, only_urgent, now=NOW).sent == 7
    only_r2 = MetricsFilter.for_dates(date(2026, 1, 1), date(2026, 3, 1), region_id=world.r2.id)
    assert metrics.totals(c, only_r2, now=NOW).sent == 5
    only_legal = MetricsFilter.for_dates(date(2026, 1, 1), date(2026, 3, 1), category=C.LEGAL)
    assert metrics.totals(c, only_legal, now=NOW).sent == 2
    one_agency = MetricsFilter.for_dates(date(2026, 1, 1), date(2026, 3, 1), agency_id=world.police.id)
    assert metrics.totals(c, one_agency, now=NOW).open == 5
    # The first week only: P1..P5 and the hospital's five.
    first_week = MetricsFilter.for_dates(date(2026, 1, 5), date(2026, 1, 11))
    assert metrics.totals(c, first_week, now=NOW).sent == 10
    nothing = MetricsFilter.for_dates(date(2024, 1, 1), date(2024, 2, 1))
    empty = metrics.totals(c, nothing, now=NOW)
    assert empty.sent == 0 and empty.breach_rate is None and empty.durations["acknowledge"].median is None
    assert metrics.group_stats(c, nothing, "agency", now=NOW) == []


def test_a_referral_nobody_answered_is_overdue(world):
    case = make_case(world.cw_a)
    referral = consent_and_refer(world.cw_a, case, world.service(world.police, C.POLICE_PROTECTION),
                                 urgency="urgent", at=at(5))
    assert referral.next_due_at is not None
    assert metrics.totals(world.coordinator, PERIOD, now=NOW).overdue == 1


def test_overdue_depends_on_the_clock(world, data):
    # On 5 January at 09:15 only P1 existed and was acknowledged; nothing overdue yet.
    early = metrics.totals(world.coordinator, PERIOD, now=at(5, hour=9, minute=15))
    assert early.overdue == 0


def test_weekly_trend(world, data):
    trend = metrics.weekly_trend(world.coordinator, PERIOD, now=NOW)
    weeks = [p.week for p in trend]
    # 1 January 2026 is a Thursday: weeks start on the Monday before, up to the week of 1 March.
    assert weeks[0] == date(2025, 12, 29) and weeks[-1] == date(2026, 2, 23) and len(weeks) == 9
    points = {p.week: (p.sent, p.overdue, p.completed) for p in trend}
    assert points[date(2026, 1, 5)] == (10, 0, 0)
    # P6 and P7 sent; P6 and P7 went overdue (P7 twice: counted once); P1 completed on 12 January.
    assert points[date(2026, 1, 12)] == (2, 2, 1)
    assert points[date(2026, 2, 2)] == (2, 0, 0)
    assert sum(p.sent for p in trend) == 14


def test_trend_stops_at_now(world, data):
    trend = metrics.weekly_trend(world.coordinator, PERIOD, now=at(20))
    assert trend[-1].week == date(2026, 1, 19)


def test_regional_coordinator_sees_her_region_only(world, data):
    mine = world.regional_coordinator  # region two: the hospital
    assert [r.key for r in metrics.group_stats(mine, PERIOD, "agency", now=NOW)] == [world.hospital.id]
    assert metrics.totals(mine, PERIOD, now=NOW).sent == 5
    # Asking for region one explicitly gives nothing, not region one's figures.
    other = MetricsFilter.for_dates(date(2026, 1, 1), date(2026, 3, 1), region_id=world.r1.id)
    assert metrics.totals(mine, other, now=NOW).sent == 0
    assert sum(p.sent for p in metrics.weekly_trend(mine, PERIOD, now=NOW)) == 5
    lines, _more = metrics.overdue_referrals(mine, PERIOD, now=NOW)
    assert {line.to_agency_id for line in lines} == {world.hospital.id}


@pytest.mark.parametrize("role", ["cw_a", "officer_police", "auditor", "admin"])
def test_only_coordinators_get_statistics(world, data, role):
    user = getattr(world, role)
    with pytest.raises(PermissionDenied):
        metrics.group_stats(user, PERIOD, "agency", now=NOW)
    with pytest.raises(PermissionDenied):
        metrics.overdue_referrals(user, PERIOD, now=NOW)


def test_unknown_grouping_is_refused(world):
    with pytest.raises(ValueError):
        metrics.group_stats(world.coordinator, PERIOD, "case_number")


def test_overdue_list_longest_overdue_first_and_paginated(world, data):
    lines, more = metrics.overdue_referrals(world.coordinator, PERIOD, now=NOW, page_size=4)
    assert more and len(lines) == 4
    dues = [line.next_due_at for line in lines]
    assert dues == sorted(dues) and all(d < NOW for d in dues)
    rest, more = metrics.overdue_referrals(world.coordinator, PERIOD, now=NOW, page=2, page_size=4)
    rest2, last = metrics.overdue_referrals(world.coordinator, PERIOD, now=NOW, page=3, page_size=4)
    everything = {line.reference for line in lines + rest + rest2}
    assert not last and len(everything) == 9
    assert data.police[6].reference in everything and data.police[0].reference not in everything


def test_declined_list(world, data):
    lines, more = metrics.declined_referrals(world.coordinator, PERIOD)
    assert [line.reference for line in lines] == [data.police[4].reference] and not more


def test_published_rows_hide_small_groups(world, data):
    rows = by_key(metrics.group_stats(world.coordinator, PERIOD, "agency", now=NOW))
    small = metrics.published(rows[world.assoc_b.id])
    assert small["suppressed"] and small["sent"] is None and small["open"] is None
    assert small["breach_rate"] is None and small["durations"]["acknowledge"]["median_minutes"] is None
    police = metrics.published(rows[world.police.id])
    assert police["sent"] == 7 and police["durations"]["decide"]["median_minutes"] == pytest.approx(180)
    # Three first actions only: that median is not published.
    assert police["durations"]["first_action"] == {"count": 3, "median_minutes": None, "p90_minutes": None,
                                                   "suppressed": True, "estimated": False}


def test_published_weeks_hide_counts_under_five(world, data):
    weeks = {p.week: metrics.published_week(p) for p in metrics.weekly_trend(world.coordinator, PERIOD, now=NOW)}
    assert weeks[date(2026, 1, 5)] == {"week": "2026-01-05", "sent": 10, "overdue": 0, "completed": 0,
                                       "suppressed": []}
    assert weeks[date(2026, 1, 12)] == {"week": "2026-01-12", "sent": None, "overdue": None, "completed": None,
                                        "suppressed": ["completed", "overdue", "sent"]}


def test_percentiles_of_a_single_and_of_two_values():
    assert metrics._interpolate({1: 42.0}, 1, 0.5) == 42.0
    assert metrics._interpolate({1: 10.0, 2: 20.0}, 2, 0.9) == pytest.approx(19.0)


def test_large_populations_get_estimates_close_to_the_exact_figures(world, data, monkeypatch):
    exact = by_key(metrics.group_stats(world.coordinator, PERIOD, "agency", now=NOW))
    exact_total = metrics.totals(world.coordinator, PERIOD, now=NOW)
    monkeypatch.setattr(metrics, "EXACT_PERCENTILES_UP_TO", 10)  # the 16 referrals are "many"
    estimated = by_key(metrics.group_stats(world.coordinator, PERIOD, "agency", now=NOW))
    estimated_total = metrics.totals(world.coordinator, PERIOD, now=NOW)
    for key, row in estimated.items():
        assert (row.sent, row.open, row.overdue, row.breached) == (exact[key].sent, exact[key].open,
                                                                   exact[key].overdue, exact[key].breached)
        for step, d in row.durations.items():
            e = exact[key].durations[step]
            assert d.estimated and not e.estimated and d.count == e.count
            if e.median is not None:
                # Each value at most half a bucket away, so their interpolation too.
                assert d.median == pytest.approx(e.median, rel=0.11)
                assert d.p90 == pytest.approx(e.p90, rel=0.11)
    assert estimated_total.durations["acknowledge"].median == pytest.approx(
        exact_total.durations["acknowledge"].median, rel=0.11)
    assert metrics.published(estimated_total)["durations"]["acknowledge"]["estimated"] is True


def test_periods_read_whole_weeks_from_the_weekly_table_and_the_ends_from_the_daily_one():
    from referral.models import referral_daily_stats as daily
    from referral.models import referral_weekly_stats as weekly

    def segments(first, last):
        return [(t.name, a, b) for t, a, b in metrics._segments(MetricsFilter.for_dates(first, last))]

    # Thursday 1 January to Tuesday 20 January: Thu-Sun by day, two weeks, Mon-Tue by day.
    assert sorted(segments(date(2026, 1, 1), date(2026, 1, 20))) == sorted([
        (weekly.name, date(2026, 1, 5), date(2026, 1, 19)),
        (daily.name, date(2026, 1, 1), date(2026, 1, 5)),
        (daily.name, date(2026, 1, 19), date(2026, 1, 21))])
    # Monday to Sunday: weeks only. Inside one week: days only.
    assert segments(date(2026, 1, 5), date(2026, 1, 18)) == [(weekly.name, date(2026, 1, 5), date(2026, 1, 19))]
    assert segments(date(2026, 1, 6), date(2026, 1, 9)) == [(daily.name, date(2026, 1, 6), date(2026, 1, 10))]
