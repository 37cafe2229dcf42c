"""The two-person rule in a real browser, in Arabic: the admin opens a caseworker's account, a lead
of her association approves it from her menu and receives the temporary password."""

from __future__ import annotations

from playwright.sync_api import expect

from referral.extensions import db
from referral.models.vocab import Role
from tests.browser.conftest import snap
from tests.browser.test_referral_journey import _log_in
from tests.factories import make_user


def test_the_admin_asks_and_a_lead_approves_in_arabic(browser, live_server, page, world):
    lead = make_user("lead.a", world.assoc_a, Role.CASEWORKER, Role.LEAD)
    db.session.commit()
    _log_in(page, world.admin, language="ar")
    page.goto("/admin/users/new")
    page.locator("#username").fill("nadia.b")
    page.locator("#display_name").fill("نادية بناني")
    page.locator("#agency_id").select_option(str(world.assoc_a.id))
    page.locator('input[name=roles][value="caseworker"]').check()
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".flash.success, .flash")).to_contain_text("يبقى معطلًا")
    expect(page.locator("#h-pending")).to_be_visible()
    expect(page.locator(".one-time-secret")).to_have_count(0)
    snap(page, "approvals-admin-asked-ar")

    context = browser.new_context(base_url=live_server, locale="ar")
    lead_page = context.new_page()
    _log_in(lead_page, lead, language="ar")
    menu = lead_page.locator('nav a[href="/approvals"]')
    expect(menu).to_contain_text("1")
    menu.click()
    expect(lead_page.locator("table.approvals tbody tr")).to_have_count(1)
    expect(lead_page.locator("html")).to_have_attribute("dir", "rtl")
    snap(lead_page, "approvals-lead-list-ar")
    lead_page.locator("table.approvals button.primary").click()
    expect(lead_page.locator(".one-time-secret code")).to_be_visible()
    snap(lead_page, "approvals-lead-password-ar")
    context.close()
