"""Logging in with a real browser: Arabic first and right to left, two steps, a remembered language."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import snap
from tests.factories import PASSWORD, totp_now

DIRECTION = "getComputedStyle(document.documentElement).direction"


def _boxes(page):
    brand = page.locator(".topbar .brand").bounding_box()
    switch = page.locator(".topbar .lang-switch").bounding_box()
    assert brand and switch, "the brand and the language switch are both visible"
    return brand, switch


def _assert_arabic_rtl(page):
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.evaluate(DIRECTION) == "rtl"
    brand, switch = _boxes(page)
    # Mirrored: the brand sits at the right edge, the language switch on the left.
    assert brand["x"] >= switch["x"] + switch["width"], (brand, switch)


def test_caseworker_logs_in_in_arabic_then_switches_to_french(page, page_log, live_server, world):
    user = world.cw_a

    # The browser asks for English (its default locale); Masar still starts in Arabic.
    response = page.goto("/login")
    assert response.status == 200
    _assert_arabic_rtl(page)
    snap(page, "login-ar")

    page.locator("#username").fill(user.username)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server}/login/verify")
    _assert_arabic_rtl(page)

    # A wrong code keeps her on the second step with a visible alert, and no way in.
    page.locator("#code").fill("00000")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server}/login/verify")
    expect(page.get_by_role("alert")).to_be_visible()

    page.locator("#code").fill(totp_now(user))
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server}/")
    expect(page.locator("main h1")).to_contain_text(user.display_name)
    expect(page.locator(".whoami")).to_contain_text(user.display_name)
    _assert_arabic_rtl(page)
    snap(page, "home-ar")

    # The visible switch turns the page French and left to right...
    page.locator('.lang-switch button[value="fr"]').click()
    expect(page).to_have_url(f"{live_server}/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    assert page.evaluate(DIRECTION) == "ltr"
    brand, switch = _boxes(page)
    assert brand["x"] + brand["width"] <= switch["x"], (brand, switch)
    expect(page.locator('.lang-switch button[value="fr"]')).to_have_attribute("aria-pressed", "true")

    # ...and the choice holds on the next page she opens.
    with page.expect_response(lambda r: r.request.is_navigation_request()) as next_page:
        page.locator(".brand-link").click()
    assert next_page.value.status == 200 and next_page.value.url == f"{live_server}/"
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("main h1")).to_contain_text(user.display_name)

    page_log.assert_clean()
