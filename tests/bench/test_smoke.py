"""The benchmark's generated files are the app's own: it opens, decrypts, searches and lists them,
and the measurement functions of `bench.run --quick` run and report numbers (no timing asserted)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bench import measure
from bench.generate import generate
from bench.timeline import FastCalendar
from referral.audit.context import acting_as
from referral.audit.verify import verify_chain
from referral.extensions import db
from referral.models import Agency, Case, Referral, SlaTimer, User, UserRole
from referral.models.agency import DEFAULT_OPENING_HOURS
from referral.models.vocab import Role
from referral.policy import inbox_query
from referral.services import cases
from referral.workflows.calendar import BusinessCalendar, add_business_minutes, business_minutes_between
from referral.workflows.sla import calendar_for, due_time

pytestmark = pytest.mark.slow

FILES = 50


@pytest.fixture
def generated(app, database_urls):
    from referral import create_app

    # The generator loads as a superuser (it switches triggers off on PostgreSQL), as `bench/` does;
    # the tests then read through the app's own role.
    loader = create_app("test", {"SQLALCHEMY_DATABASE_URI": database_urls.admin, "SERVER_NAME": "masar.test"})
    summary = generate(loader, FILES, seed=7, workers=1, chunk_files=20, progress=False)
    with loader.app_context():
        db.engine.dispose()
    db.session.expire_all()
    return summary


def _caseworker_of(case: Case) -> User:
    return db.session.get(User, case.caseworker_id)


def test_generated_files_decrypt_through_the_app(generated):
    assert generated["rows"]["cases"] == FILES
    assert generated["referrals_per_file"] > 3
    some = db.session.execute(select(Case).order_by(Case.opened_at).limit(5)).scalars().all()
    for case in some:
        user = _caseworker_of(case)
        with acting_as(measure.actor_for(user)):
            identity = cases.read_identity(user, case)
        assert identity["full_name"] and identity["narrative"]
        assert identity["phone"].startswith(("06", "07")) and len(identity["phone"]) == 10
    db.session.rollback()


def test_search_finds_a_generated_phone_number_and_name(generated):
    case = db.session.execute(select(Case).where(Case.phone_ct.is_not(None)).limit(1)).scalar_one()
    user = _caseworker_of(case)
    with acting_as(measure.actor_for(user)):
        identity = cases.read_identity(user, case, audit=False)
        by_phone = cases.search(user, "phone", identity["phone"])
        by_name = cases.search(user, "full_name", identity["full_name"])
        elsewhere = cases.search(user, "phone", "0500000000")
    assert case.id in {c.id for c in by_phone}
    assert case.id in {c.id for c in by_name}
    assert elsewhere == []
    db.session.rollback()


def test_an_officer_inbox_lists_generated_referrals(generated, database_url):
    officer = db.session.execute(
        select(User).join(UserRole, UserRole.user_id == User.id).join(Agency, Agency.id == User.agency_id)
        .where(UserRole.role == Role.OFFICER, Agency.id.in_(
            select(Referral.to_agency_id).where(Referral.is_open.is_(True))))
        .limit(1)).scalar_one()
    # The inbox opens on its "open" tab: callers of inbox_query filter on is_open, as the page does.
    listed = db.session.execute(inbox_query(officer).where(Referral.is_open.is_(True)).limit(25)).scalars().all()
    assert listed and all(r.to_agency_id == officer.agency_id for r in listed)
    from referral import create_app

    # An app of its own: requests made inside the test's app context would share its `g`, where
    # Flask-Login keeps the user of the first request (anonymous) for every later one.
    fresh = create_app("test", {"SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": "masar.test"})
    client = fresh.test_client()
    measure.login(client, fresh, officer.id)
    page = client.get("/referrals/inbox").get_data(as_text=True)
    with fresh.app_context():
        db.engine.dispose()
    assert listed[0].reference in page


def test_generated_timers_are_those_the_engine_would_set(generated):
    """Running business-clock timers are due when the app's calendar says; open referrals carry the
    earliest of them as next_due_at; the sweep's bookkeeping says it ran up to now."""
    timers = db.session.execute(select(SlaTimer).where(SlaTimer.state == "running")).scalars().all()
    assert timers
    for timer in timers:
        if timer.kind.value.startswith("clinical"):
            continue
        agency = db.session.get(Agency, timer.referral.to_agency_id)
        remaining = timer.budget_minutes - timer.consumed_minutes
        calendar = calendar_for(agency, timer.started_at)
        assert timer.due_at == due_time(timer.started_at, remaining, timer.clock, calendar)
    for referral in {t.referral for t in timers}:
        assert referral.is_open
        assert referral.next_due_at == min(t.due_at for t in referral.timers if t.state == "running")
    assert verify_chain().valid
    db.session.rollback()


def test_fast_calendar_matches_the_app_calendar():
    holidays = frozenset({date(2026, 1, 1), date(2026, 1, 14), date(2026, 5, 1)})
    calendar = BusinessCalendar(timezone="Africa/Casablanca", opening_hours=DEFAULT_OPENING_HOURS, holidays=holidays)
    fast = FastCalendar(calendar, date(2025, 12, 1), date(2026, 12, 31))
    rng = random.Random(3)
    start = datetime(2025, 12, 15, tzinfo=UTC)
    for _ in range(300):
        at = start + timedelta(seconds=rng.randrange(0, 200 * 86400))
        minutes = rng.choice((0, 1, 60, 480, 960, 2400, 7200, rng.randrange(1, 9000)))
        expected = add_business_minutes(at, minutes, calendar)
        assert fast.add(int(at.timestamp()), minutes) == int(expected.timestamp())
        end = at + timedelta(seconds=rng.randrange(0, 30 * 86400))
        assert fast.between(int(at.timestamp()), int(end.timestamp())) == business_minutes_between(at, end, calendar)


def test_quick_measurements_run_and_report(generated, app, database_url):
    crypto = measure.measure_crypto(iterations=200)
    assert crypto["worst_ratio"] > 0
    assert all(p["encrypt_us"] > 0 and p["raw_encrypt_us"] > 0 for p in crypto["payloads"].values())
    assert measure.measure_seal(app, iterations=100)["seal_us"] > 0

    search = measure.measure_search(app, samples=5)
    assert search["phone"]["found"] == search["phone"]["searched"] == 5
    assert search["phone"]["app"]["p50_ms"] > 0 and search["phone"]["floor"]["p50_ms"] > 0

    sweep = measure.measure_sweep(app, backlog_minutes=(1, 24 * 60), repeat=1)
    assert [run["minutes_since_last_sweep"] for run in sweep["runs"]] == [1, 1440]
    assert sweep["runs"][1]["due_timers"] >= sweep["runs"][0]["due_timers"]
    assert all(run["app"]["n"] == 1 for run in sweep["runs"])
    assert db.session.execute(select(func.count()).select_from(Case)).scalar_one() == FILES  # rolled back

    from referral import create_app

    fresh = create_app("test", {"SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": "masar.test"})
    measure.add_bare_route(fresh)  # before its first request
    pages = measure.measure_pages(fresh, samples=3)
    for name in ("bare_endpoint", "officer_inbox", "officer_file_page", "caseworker_file_page"):
        page = pages["pages"][name]
        assert page["statuses"] == {"200": page["time"]["n"]}, name
        assert page["queries"]["min"] > 0
    assert pages["pages"]["officer_inbox"]["ratio_p50"] > 0

    dashboard = measure.measure_dashboard(fresh, samples=1)
    assert dashboard.get("page") is None or dashboard["page"]["statuses"] == {"200": 1}
    observatory = measure.measure_observatory(fresh, samples=1)
    assert observatory["page"]["statuses"] == {"200": 1}
    counted, excluded = observatory["service"]["files_counted"], observatory["service"]["excluded"]
    assert counted > 0 and counted + (excluded or 0) <= observatory["files_opened_in_year"]
    with fresh.app_context():
        db.engine.dispose()


def test_generated_referrals_are_in_the_dashboard_statistics(generated):
    from referral.stats import daily_stats

    connection = db.session.connection()
    stored = daily_stats.stored(connection)
    assert stored and stored == daily_stats.compute(connection)
    sent = sum(values[daily_stats.COLUMNS.index("sent")] for values in stored.values())
    assert sent == db.session.execute(select(func.count()).select_from(Referral)
                                      .where(Referral.sent_at.is_not(None))).scalar_one()
