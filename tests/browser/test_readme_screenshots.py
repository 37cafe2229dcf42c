"""The screenshots README shows, taken in Arabic from the real pages on every run (test-artifacts/
readme-*.png; copied into docs/screenshots/ when the pages change). Each page is checked for what
it must show, so a screenshot of an error page cannot pass for the real one."""

from __future__ import annotations

from playwright.sync_api import expect

from referral.extensions import db
from referral.models.vocab import ServiceCategory
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_referral_journey import _log_in
from tests.factories import consent_and_refer, make_case


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"readme-{name}.png"))  # the first screen, as she sees it


def test_the_main_pages_in_arabic(browser, live_server, world):
    case = make_case(world.cw_a)
    referral = consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    make_case(world.cw_a, full_name="Salma Bennani", phone="0677889900")
    db.session.commit()
    for user, pages in [
        (world.cw_a, [("home-caseworker", "/", "main h1"), ("file", f"/cases/{case.id}", "h1 .ref"),
                      ("files", "/cases/", "table")]),
        (world.officer_police, [("referral-officer", f"/referrals/{referral.id}", "h1"),
                                ("inbox-officer", "/referrals/inbox", "table")]),
        (world.coordinator, [("dashboard", "/dashboard", "main h1")]),
        (world.auditor, [("access-log", "/audit", "table")]),
    ]:
        context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800})
        page = context.new_page()
        try:
            _log_in(page, user)
            for name, path, must_show in pages:
                response = page.goto(path)
                assert response.status == 200, (path, response.status)
                expect(page.locator(must_show).first).to_be_visible()
                assert page.locator("html").get_attribute("dir") == "rtl"
                _shot(page, name)
        finally:
            context.close()
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        assert page.goto("/report").status == 200
        expect(page.locator("a.quick-exit")).to_be_visible()
        _shot(page, "public-report-phone")
    finally:
        context.close()
