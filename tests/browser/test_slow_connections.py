"""Comforts for slow connections and interrupted work: one submit per click, and a notice before an
idle session ends that keeps her on the page with what she typed."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_referral_journey import _log_in


def test_before_the_idle_timeout_she_can_stay_signed_in_without_losing_her_text(page, world):
    page.clock.install()
    _log_in(page, world.cw_a, language="ar")
    page.goto("/cases/new")
    page.locator("#full_name").fill("نص تكتبه الآن")
    notice = page.locator("#session-warning")
    expect(notice).to_be_hidden()
    page.clock.fast_forward("12:30")
    expect(notice).to_be_hidden()
    page.clock.fast_forward("00:40")  # 13:10 idle: two minutes before the 15-minute timeout
    expect(notice).to_be_visible()
    with page.expect_response(lambda r: r.url.endswith("/account/keep-alive")) as answer:
        notice.locator("button").click()
    assert answer.value.status == 204
    expect(notice).to_be_hidden()
    expect(page.locator("#full_name")).to_have_value("نص تكتبه الآن")


def test_a_form_is_sent_once_however_often_she_clicks(page, world):
    """A second click while the first request is on its way (held here) sends nothing more."""
    _log_in(page, world.cw_a)
    page.goto("/cases/new")
    held = []
    page.route("**/cases/new", lambda route: held.append(route) if route.request.method == "POST"
               else route.continue_())
    page.evaluate("""() => {
        const buttons = document.querySelectorAll("main form button[type=submit]");
        const button = buttons[buttons.length - 1];
        button.click();
        setTimeout(() => button.click(), 150);  // while the first request is still on its way
    }""")
    page.wait_for_timeout(600)
    sent = len(held)
    for route in held:
        route.continue_()
    assert sent == 1
