"""The coordinator's dashboard in a real browser: figures, the weekly chart drawn as SVG, the
overdue drill-down and a reminder, in English and mirrored in Arabic."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from referral.extensions import db
from referral.models.base import utcnow
from referral.models.vocab import ServiceCategory as C
from referral.workflows.engine import fire
from tests.browser.conftest import snap
from tests.factories import PASSWORD, as_user, consent_and_refer, make_case, totp_now


def _network(world):
    """Two weeks of urgent police referrals (six a week, so no figure is suppressed): the older
    ones acknowledged and now overdue, two completed."""
    case = make_case(world.cw_a)
    service = world.service(world.police, C.POLICE_PROTECTION)
    today = utcnow().replace(hour=10, minute=0, second=0, microsecond=0)
    this_monday = today - timedelta(days=today.weekday())
    referrals = []
    for week in (3, 1):
        # Wednesday morning of that week: each batch stays inside one week, whatever day the test runs.
        wednesday = this_monday - timedelta(weeks=week) + timedelta(days=2)
        for i in range(6):
            referrals.append(consent_and_refer(world.cw_a, case, service, urgency="urgent",
                                               at=wednesday + timedelta(hours=i)))
    officer = world.officer_police
    with as_user(officer):
        for n, referral in enumerate(referrals):
            fire(referral, "acknowledge", officer, at=referral.sent_at + timedelta(minutes=20 + 5 * n))
        for referral in referrals[:2]:
            for action, hours in (("accept", 2), ("start", 3)):
                fire(referral, action, officer, at=referral.sent_at + timedelta(hours=hours))
            fire(referral, "complete", officer, message="Done.", at=referral.sent_at + timedelta(days=2))
        db.session.commit()
    return referrals


def _log_in(page, user):
    page.goto("/login")
    page.locator("#username").fill(user.username)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.locator("#code").fill(totp_now(user))
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".whoami")).to_contain_text(user.display_name)


def test_coordinator_reads_the_dashboard_and_sends_a_reminder(page, page_log, live_server, world):
    referrals = _network(world)
    _log_in(page, world.coordinator)
    page.locator('.lang-switch button[value="en"]').click()

    page.locator(".mainnav a", has_text="Response times").click()
    expect(page).to_have_url(f"{live_server}/dashboard")
    expect(page.locator("main h1")).to_have_text("Response times")

    chart = page.locator("svg.trend-chart")
    expect(chart).to_be_visible()
    bars = chart.locator("rect.bar-sent:not(.suppressed)")
    expect(bars).to_have_count(2)  # one bar per week with referrals sent
    box = bars.first.bounding_box()
    assert box and box["height"] > 20 and box["width"] > 2, box
    expect(chart.locator("rect.bar-completed")).to_have_count(1)
    assert chart.locator("title").first.text_content().startswith("Referrals per week")

    police_row = page.locator("table.dashboard-table tbody tr", has_text="POLICE en")
    expect(police_row.locator("td").nth(0)).to_have_text("12")
    expect(police_row.locator("td").nth(2)).to_have_text("10")  # overdue: waiting for a decision
    snap(page, "dashboard-en")

    # The figures behind the chart are one click away, for screen readers and for checking.
    page.locator("details.chart-data summary").click()
    expect(page.locator("details.chart-data table")).to_be_visible()

    # Drill down to the overdue referrals of the police, and remind them of the oldest one.
    police_row.locator("a.overdue").click()
    expect(page).to_have_url(f"{live_server}/dashboard/overdue?agency={world.police.id}")
    oldest = page.locator("table.drill-down tbody tr").first
    reference = oldest.locator("a.ref").text_content()
    assert reference in {r.reference for r in referrals[2:6]}
    oldest.get_by_role("button", name="Send a reminder").click()
    expect(page.locator(".flash-success")).to_contain_text(f"Reminder sent to POLICE en about {reference}")
    expect(page).to_have_url(f"{live_server}/dashboard/overdue?agency={world.police.id}")
    snap(page, "dashboard-overdue-en")

    # In Arabic the page and the chart's time axis run right to left.
    page.locator('.lang-switch button[value="ar"]').click()
    page.goto("/dashboard")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    first_week, last_week = (page.locator("svg.trend-chart rect.bar-sent").nth(i).bounding_box() for i in (0, 1))
    assert first_week["x"] > last_week["x"], (first_week, last_week)
    snap(page, "dashboard-ar")

    page_log.assert_clean()
