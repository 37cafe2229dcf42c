"""Issue 17 in a real browser: a woman on a phone, JavaScript off, reports in Arabic, keeps her
receipt, reads her status; the caseworker of the region claims the report and writes to her."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import snap
from tests.browser.test_referral_journey import _log_in

PHONE = {"width": 375, "height": 740}


def _status(page, code, passphrase):
    page.goto("/report/status")
    page.locator("#code").fill(code)
    page.locator("#passphrase").fill(passphrase)
    page.locator("main form button[type=submit]").click()


def test_a_report_in_arabic_without_javascript_then_the_caseworker_answers(browser, live_server, page, world):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, viewport=PHONE)
    phone = context.new_page()
    phone.goto("/report")
    expect(phone.locator("html")).to_have_attribute("dir", "rtl")
    expect(phone.locator("a.quick-exit")).to_be_visible()
    phone.locator("#violence_type").select_option("physical_assault")
    phone.locator("#region_id").select_option(str(world.r1.id))
    phone.locator("#danger_now").check()
    phone.locator("input[name=reporter_role][value=concerned]").check()
    phone.locator("#narrative").fill("يضربني زوجي كل ليلة")
    phone.locator("#contact").fill("0612345678")
    snap(phone, "public-report-form-ar-375")
    phone.locator("main form button[type=submit]").click()
    code = phone.locator(".receipt-code").inner_text()
    passphrase = phone.locator(".receipt-passphrase").inner_text()
    snap(phone, "public-report-receipt-ar-375")
    assert context.cookies() == []  # no cookie at all on the public pages

    _log_in(page, world.cw_a)
    page.goto("/reports")
    page.locator("table.list a.ref").first.click()
    page.locator("form[action$='/claim'] button").click()
    expect(page.locator(".narrative")).to_have_text("يضربني زوجي كل ليلة")
    page.locator("#text").fill("سنتصل بك صباح الغد")
    page.locator("form[action$='/message'] button").click()
    snap(page, "report-triage-caseworker")

    _status(phone, code, passphrase)
    expect(phone.locator(".stages .current")).to_contain_text("قيد التكفل")
    expect(phone.locator("article.message")).to_contain_text("سنتصل بك صباح الغد")
    snap(phone, "public-report-status-ar-375")
    assert context.cookies() == []
    context.close()
