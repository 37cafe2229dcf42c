"""A hot case in a real browser: her caseworker asks the coalition to follow her file, the
coordinator finds it in the list without her name, reads her referrals and records a decision;
the pages read right to left in Arabic."""

from __future__ import annotations

from playwright.sync_api import expect

from referral.models.vocab import ServiceCategory
from tests.browser.conftest import snap
from tests.browser.test_dashboard import _log_in
from tests.factories import consent_and_refer, make_case


def test_a_file_becomes_a_hot_case_and_the_coalition_decides(page, page_log, live_server, world, browser):
    case = make_case(world.cw_a)
    referral = consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    _log_in(page, world.cw_a)
    page.goto(f"/cases/{case.id}")
    page.locator(".actions a", has_text="حالة ساخنة").click()  # Arabic is the default language
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.locator("#reason").select_option("service_failure")
    page.locator("#comment").fill("Turned away at the police station")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server}/cases/{case.id}")
    expect(page.locator(".flash-success")).to_be_visible()

    coordinator = browser.new_page(base_url=live_server)
    _log_in(coordinator, world.coordinator)
    coordinator.locator(".mainnav a", has_text="الحالات الساخنة").click()
    row = coordinator.locator("table.list tbody tr").first
    expect(row).to_contain_text("HC-")
    listing = coordinator.locator("main").text_content()
    assert case.case_number not in listing and "فاطمة" not in listing
    snap(coordinator, "hot-cases-ar")
    row.locator("a.ref").click()
    expect(coordinator.locator("main")).to_contain_text(referral.reference)
    expect(coordinator.locator("main")).to_contain_text("Turned away at the police station")
    coordinator.locator("#text").fill("الشرطة تتصل بها خلال 24 ساعة")
    coordinator.locator("main form button[type=submit]").click()
    expect(coordinator.locator(".flash-success")).to_be_visible()
    expect(coordinator.locator("ol.timeline").last).to_contain_text("الشرطة تتصل بها خلال 24 ساعة")
    snap(coordinator, "hot-case-ar")
    coordinator.close()
    page_log.assert_clean()
