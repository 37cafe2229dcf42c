"""Quick exit in a real browser (issue 21, part 1): the button and the Escape key leave for the
neutral site and take the page out of the history; without JavaScript the button is a plain link."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_referral_journey import _log_in
from tests.factories import make_case

NEUTRAL = "Weather today"


def _fake_neutral_site(context_or_page, app):
    # The tests never leave the machine: the neutral site is answered by the browser itself.
    context_or_page.route(app.config["QUICK_EXIT_URL"].split("?")[0] + "**", lambda route: route.fulfill(
        status=200, content_type="text/html", body=f"<title>{NEUTRAL}</title><h1>{NEUTRAL}</h1>"))


def _on_neutral_site(page, app):
    expect(page).to_have_url(app.config["QUICK_EXIT_URL"])
    expect(page.locator("h1")).to_have_text(NEUTRAL)


@pytest.mark.parametrize("how", ["escape", "button"])
def test_quick_exit_leaves_the_file_and_back_does_not_return(page, page_log, app, live_server, world, how):
    case = make_case(world.cw_a)
    _fake_neutral_site(page, app)
    _log_in(page, world.cw_a)
    page.goto("/")
    page.goto(f"/cases/{case.id}")
    expect(page.locator("h1 .ref")).to_have_text(case.case_number)
    if how == "escape":
        page.keyboard.press("Escape")
    else:
        page.locator("a.quick-exit").click()
    _on_neutral_site(page, app)
    # The file's entry was replaced: "Back" lands on the page before it, never on the file.
    page.go_back()
    expect(page).to_have_url(f"{live_server}/")
    page_log.assert_clean()


def test_the_quick_exit_button_is_visible_at_phone_size_in_arabic(page, app, world):
    page.set_viewport_size({"width": 375, "height": 740})
    _log_in(page, world.cw_a)
    page.goto("/cases/new")
    button = page.locator("a.quick-exit")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box["height"] >= 24 and box["width"] >= 24, box
    # Fixed on screen: still there after scrolling to the bottom of a long form.
    page.mouse.wheel(0, 3000)
    assert page.locator("a.quick-exit").bounding_box()["y"] < 20


def test_without_javascript_the_quick_exit_is_a_link(browser, app, live_server):
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        _fake_neutral_site(context, app)
        page = context.new_page()
        page.goto("/login")
        page.locator("a.quick-exit").click()
        _on_neutral_site(page, app)
    finally:
        context.close()
