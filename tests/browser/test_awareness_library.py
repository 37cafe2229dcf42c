"""The awareness library in a real browser (issue 17, part 4): a coordinator writes and publishes an
article; a woman on a phone, JavaScript off, reads it in Arabic, goes from the report page to the
library and finds who to call in her region, and no cookie is set."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import snap
from tests.browser.test_referral_journey import _log_in

PHONE = {"width": 375, "height": 740}
ARTICLE = "## ما يمكنك فعله\n\n* تقديم شكاية لدى النيابة العامة.\n* طلب شهادة طبية.\n\n<script>alert(1)</script>"


def test_a_coordinator_publishes_and_a_woman_reads_on_a_phone_without_javascript(browser, live_server, page,
                                                                                 world):
    _log_in(page, world.coordinator)
    page.goto("/library/manage")
    page.locator(".page-head a.primary").click()
    page.locator("#title").fill("حقك في تقديم شكاية")
    page.locator("#slug").fill("complaint-rights")
    page.locator("#language").select_option("ar")
    page.locator("#topic").select_option("law")
    page.locator("#summary").fill("خطوات بسيطة")
    page.locator("#body_markdown").fill(ARTICLE)
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".prose h2")).to_have_text("ما يمكنك فعله")  # the preview of what is saved
    page.goto("/library/manage")
    page.locator("form[action$='/publish'] button").click()
    expect(page.locator("table.list .badge.ok")).to_be_visible()
    snap(page, "library-manage")

    context = browser.new_context(base_url=live_server, java_script_enabled=False, viewport=PHONE)
    phone = context.new_page()
    phone.goto("/report")
    phone.locator("nav.public-nav a[href^='/library?']").click()
    expect(phone.locator("html")).to_have_attribute("dir", "rtl")
    phone.locator(".library-list a", has_text="حقك في تقديم شكاية").click()
    expect(phone.locator("article.library-item h2")).to_have_text("ما يمكنك فعله")
    expect(phone.locator("article.library-item li")).to_have_count(2)
    expect(phone.locator("article.library-item script")).to_have_count(0)
    expect(phone.locator("a.quick-exit")).to_be_visible()
    snap(phone, "library-article-ar-375")
    # Nothing is wider than the phone: no sideways scrolling to read.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    phone.locator("nav.public-nav a[href^='/library/help']").click()
    phone.locator("#region_id").select_option(str(world.r1.id))
    phone.locator("main form button[type=submit]").click()
    expect(phone.locator(".library-list h2", has_text=world.assoc_a.name("ar"))).to_be_visible()
    snap(phone, "library-help-ar-375")
    assert context.cookies() == []
    context.close()
