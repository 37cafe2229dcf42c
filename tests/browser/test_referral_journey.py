"""The whole referral loop in real Chromium: an Arabic-speaking caseworker refers, a French-speaking
officer of another agency works the referral, and the caseworker sees the loop close."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from referral.models.vocab import ServiceCategory
from tests.browser.conftest import TIMEOUT_MS, snap
from tests.factories import PASSWORD, totp_now


def _log_in(page, user, language=None):
    page.goto("/login")
    if language:
        page.locator(f'.lang-switch button[value="{language}"]').click()
    page.locator("#username").fill(user.username)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.locator("#code").fill(totp_now(user))
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main h1")).to_contain_text(user.display_name)


def _act(page, action, message=None):
    form = page.locator(f'form.action-form:has(input[name=action][value="{action}"])')
    if message:
        form.locator("textarea").fill(message)
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()


def test_refer_accept_complete_and_see_the_loop_close(page, page_log, browser, live_server, world):
    service = world.service(world.police, ServiceCategory.POLICE_PROTECTION)

    # The caseworker, in Arabic (the default), opens a file.
    _log_in(page, world.cw_a)
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.goto("/cases/new")
    page.locator("#full_name").fill("سلمى بناني")
    page.locator("#phone").fill("0611223344")
    page.locator("#contact_instructions").fill("الاتصال صباحا فقط")
    page.locator("#narrative").fill("تهديد بالسكين من طرف الزوج")
    page.locator("#violence_type").select_option("physical_assault")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1 .ref")).to_contain_text("CAS-")
    snap(page, "journey-1-file-ar")

    # She refers the survivor to the police, recording the consent given now.
    page.locator(".page-head .actions a[href*='/referrals/new/']").click()
    page.locator("#service_id").select_option(str(service.id))
    page.locator("#urgency").select_option("urgent")
    page.locator('input[name=shared_fields][value="name"]').check()
    page.locator('input[name=shared_fields][value="contact"]').check()
    page.locator("#record_consent").check()
    page.locator("#message").fill("يرجى الاتصال بها صباحا")
    page.locator("form[method=post] button.primary").click()
    expect(page.locator("h1 .ref")).to_contain_text("REF-")
    reference = page.locator("h1 .ref").inner_text()
    snap(page, "journey-2-referral-sent-ar")

    # The officer of the police, in French, in her own browser session.
    officer_context = browser.new_context(base_url=live_server)
    officer_context.set_default_timeout(TIMEOUT_MS)
    officer = officer_context.new_page()
    _log_in(officer, world.officer_police, language="fr")
    assert officer.locator("html").get_attribute("lang") == "fr"
    officer.goto("/referrals/inbox")
    officer.get_by_role("link", name=reference).click()
    expect(officer.locator("main")).to_contain_text("سلمى بناني")
    expect(officer.locator("main")).not_to_contain_text("تهديد بالسكين")  # narrative was not shared
    for action in ("acknowledge", "accept", "start"):
        _act(officer, action)
    _act(officer, "complete", "Plainte enregistrée, protection assurée.")
    snap(officer, "journey-3-completed-fr")
    officer_context.close()

    # Back with the caseworker: the referral is completed, with the outcome, and she was told.
    page.goto("/notifications/")
    expect(page.locator("ul.notifications li").first).to_contain_text(reference)
    page.locator("ul.notifications li a").first.click()
    expect(page.locator("main")).to_contain_text("Plainte enregistrée, protection assurée.")
    assert re.search(r"status-completed", page.locator("h1").inner_html())
    snap(page, "journey-4-loop-closed-ar")
    page_log.assert_clean()
