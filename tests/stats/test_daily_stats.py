"""The daily statistics behind the dashboard: kept by the engine and the sweep exactly as a rebuild
from the referrals computes them, and percentile estimates close to the exact values."""

from __future__ import annotations

import math
import random
import threading
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from referral.extensions import db
from referral.jobs.sweep import run_sla_sweep
from referral.models import referral_daily_stats, referral_weekly_stats
from referral.models.stats import BUCKETS
from referral.models.vocab import ServiceCategory as C
from referral.stats import daily_stats
from referral.workflows.engine import fire
from tests.factories import as_user, chain_all, consent_and_refer, make_case

#: Data built relative to the clock meets the national holidays when the clock is near one.
pytestmark = pytest.mark.usefixtures("national_holidays")

SENT = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)  # a Monday


def exact_percentile(values: list[float], p: float) -> float:
    """percentile_cont, as PostgreSQL computes it."""
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (position - below) * (ordered[above] - ordered[below])


def histogram(values: list[float]) -> list[int]:
    counts = [0] * BUCKETS
    for v in values:
        counts[daily_stats.bucket_of(v)] += 1
    return counts


def test_every_duration_falls_inside_its_bucket():
    assert daily_stats.bucket_of(-3) == daily_stats.bucket_of(0) == daily_stats.bucket_of(0.99) == 0
    assert daily_stats.bucket_of(1) == 1
    assert daily_stats.bucket_of(10 ** 9) == BUCKETS - 1
    for minutes in [0.5, 1, 1.5, 7, 59.9, 60, 61, 1439, 1440, 10080, 43200, 200_000, 300_000]:
        low, high = daily_stats.bucket_bounds(daily_stats.bucket_of(minutes))
        assert low <= minutes and (high is None or minutes < high), minutes


def test_estimates_are_close_to_the_exact_percentiles():
    rng = random.Random(7)
    # Response times of a busy service: log-normal around two hours, a long tail of days.
    values = [math.exp(rng.gauss(math.log(120), 1.3)) for _ in range(5000)]
    counts = histogram(values)
    for p in (0.5, 0.9):
        assert daily_stats.estimate_percentile(counts, p) == pytest.approx(exact_percentile(values, p), rel=0.02)
    # A single value: at worst half a bucket away.
    for minutes in (3, 45, 600, 5000):
        assert daily_stats.estimate_percentile(histogram([minutes]), 0.5) == pytest.approx(minutes, rel=0.11)
    assert daily_stats.estimate_percentile([0] * BUCKETS, 0.5) is None


def _walk(world):
    """Referrals in every state, sent on three days, moved by the engine at known times."""
    case = make_case(world.cw_a)
    police = world.service(world.police, C.POLICE_PROTECTION)
    medical = world.service(world.hospital, C.MEDICAL)
    referrals = [consent_and_refer(world.cw_a, case, police, urgency="urgent", at=SENT + timedelta(days=d, hours=h))
                 for d in range(3) for h in range(3)]
    referrals += [consent_and_refer(world.cw_a, case, medical, urgency="emergency", at=SENT + timedelta(minutes=m))
                  for m in (5, 50)]
    steps = [
        [("acknowledge", 10), ("accept", 70), ("start", 1500), ("complete", 9000, "Done.")],
        [("accept", 30), ("start", 200), ("return", 400, "Not ours after all.")],
        [("acknowledge", 600), ("decline", 700)],
        [("info_request", 20, "Which district?")],
        [("acknowledge", 15)],
        [],
    ]
    for referral, moves in zip(referrals, steps * 2, strict=False):
        officer = world.officer_hospital if referral.to_agency_id == world.hospital.id else world.officer_police
        with as_user(officer):
            for action, minutes, *message in moves:
                fire(referral, action, officer, at=referral.sent_at + timedelta(minutes=minutes),
                     reason="no_capacity" if action in ("decline", "return") else None,
                     message=message[0] if message else None)
        db.session.commit()
    with as_user(world.cw_a):
        fire(referrals[-1], "withdraw", world.cw_a, at=SENT + timedelta(hours=3))
        db.session.commit()
    return referrals


def test_the_engine_and_the_sweep_keep_the_table_equal_to_a_rebuild(world):
    _walk(world)
    # Breaches: the sweep a week later, then again (nothing new is counted twice).
    run_sla_sweep(now=SENT + timedelta(days=7))
    run_sla_sweep(now=SENT + timedelta(days=8))
    connection = db.session.connection()
    kept = daily_stats.stored(connection)
    assert kept == daily_stats.compute(connection)
    sent_days = defaultdict(int)
    for key, values in kept.items():
        sent_days[key[0]] += values[daily_stats.COLUMNS.index("sent")]
    assert sum(sent_days.values()) == 11 and sent_days[date(2026, 2, 2)] == 5
    assert sum(v[daily_stats.COLUMNS.index("breached")] for v in kept.values()) > 0
    weeks = daily_stats.stored(connection, referral_weekly_stats)
    assert weeks == daily_stats.by_week(kept) and {k[0].weekday() for k in weeks} == {0}
    # A rebuild writes the same tables back.
    daily_stats.rebuild(connection)
    assert daily_stats.stored(connection) == kept
    assert daily_stats.stored(connection, referral_weekly_stats) == weeks


def test_the_thresholds_are_bucket_of_for_whole_seconds():
    thresholds = daily_stats.bucket_thresholds()
    assert len(thresholds) == BUCKETS - 1 and list(thresholds) == sorted(set(thresholds))
    for bucket, seconds in enumerate(thresholds, start=1):
        assert daily_stats.bucket_of(seconds / 60) == bucket
        assert daily_stats.bucket_of((seconds - 1) / 60) == bucket - 1


def _edge_durations(world) -> list[timedelta]:
    """Referrals whose steps took durations at the edges of buckets, give or take a microsecond,
    sent at a time with microseconds (the rounding down of whole seconds matters)."""
    thresholds = daily_stats.bucket_thresholds()
    edges = [timedelta(seconds=thresholds[k]) + timedelta(microseconds=d)
             for k in (0, 1, 7, 20, 33, 47, 61, 62) for d in (-1, 0, 1, -999_999)]
    edges += [timedelta(0), timedelta(microseconds=-1), timedelta(seconds=-90), timedelta(days=400)]
    case = make_case(world.cw_a)
    police = world.service(world.police, C.POLICE_PROTECTION)
    sent = SENT + timedelta(microseconds=987_654)
    for start in range(0, len(edges), 4):
        referral = consent_and_refer(world.cw_a, case, police, urgency="urgent", at=sent)
        referral.sent_at = sent
        (referral.acknowledged_at, referral.decided_at, referral.first_action_at,
         referral.completed_at) = [sent + d for d in edges[start:start + 4]]
    db.session.commit()
    return edges


def test_the_database_puts_every_edge_duration_in_the_bucket_python_does(world):
    _edge_durations(world)
    connection = db.session.connection()
    daily_stats.rebuild(connection)
    computed = daily_stats.compute(connection)
    assert daily_stats.stored(connection) == computed
    histograms = [n for values in computed.values() for n in values[len(daily_stats.COUNT_COLUMNS):]]
    assert sum(histograms) == 36  # every step of every edge referral was counted


@pytest.mark.slow
def test_the_migration_fills_the_daily_table_as_the_app_computes_it(owner_app, world):
    from flask_migrate import downgrade, upgrade

    _walk(world)
    _edge_durations(world)
    run_sla_sweep(now=SENT + timedelta(days=7))
    db.session.commit()
    expected = daily_stats.compute(db.session.connection())
    chain_all()  # the access log goes back to a chain ordered by id only once every event is linked
    with owner_app.app_context():
        downgrade(revision="d98e1711d997")  # before the daily table
        upgrade()
        db.engine.dispose()
    assert daily_stats.stored(db.session.connection()) == expected


@pytest.mark.slow
def test_the_migration_adds_days_up_into_weeks_as_the_app_does(owner_app, world):
    from flask_migrate import downgrade, upgrade

    _walk(world)
    db.session.commit()
    kept = daily_stats.stored(db.session.connection())
    chain_all()  # the access log goes back to a chain ordered by id only once every event is linked
    with owner_app.app_context():  # migrations run as the tables' owner
        downgrade(revision="45c0e0e7d408")  # before the weekly table
        upgrade()  # which fills it from the daily one, in SQL
        db.engine.dispose()
    assert daily_stats.stored(db.session.connection(), referral_weekly_stats) == daily_stats.by_week(kept)


def test_a_transition_updates_the_cells_of_its_day(world):
    referral = _walk(world)[4]  # acknowledged only
    cells = daily_stats.stored(db.session.connection())
    key = (referral.sent_at.date(), world.police.id, "police_protection", "urgent")
    accepted_before = sum(cells[key][daily_stats.COLUMNS.index(c)] for c in daily_stats.COLUMNS if "decide_b" in c)
    with as_user(world.officer_police):
        fire(referral, "accept", world.officer_police, at=referral.sent_at + timedelta(hours=5))
        db.session.commit()
    cells = daily_stats.stored(db.session.connection())
    decided = {c: cells[key][daily_stats.COLUMNS.index(c)] for c in daily_stats.COLUMNS if c.startswith("decide_b")}
    assert sum(decided.values()) == accepted_before + 1
    assert decided[f"decide_b{daily_stats.bucket_of(300):02d}"] >= 1


def test_nothing_survivor_related_is_in_the_table():
    columns = {c.name for c in referral_daily_stats.columns}
    assert columns == {"day", "agency_id", "need", "urgency", *daily_stats.COLUMNS}


@pytest.mark.postgres
@pytest.mark.slow
def test_two_transactions_creating_the_same_cell_both_count(app, world):
    key = (date(2026, 3, 3), world.police.id, "police_protection", "urgent")
    barrier = threading.Barrier(2)
    errors = []

    def add(pause: float):
        with app.app_context():
            try:
                barrier.wait()
                daily_stats.apply_delta({key: {"sent": 1}})
                time.sleep(pause)  # the other transaction inserts the same new cell meanwhile
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                db.session.rollback()

    threads = [threading.Thread(target=add, args=(p,)) for p in (0.5, 0)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    db.session.expire_all()
    sent = db.session.execute(select(referral_daily_stats.c.sent).where(
        referral_daily_stats.c.day == key[0], referral_daily_stats.c.agency_id == key[1])).scalar_one()
    assert sent == 2
