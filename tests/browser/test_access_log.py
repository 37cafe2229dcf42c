"""The access log as an Arabic-reading auditor sees it: who read which part of her file, and why."""

from __future__ import annotations

from playwright.sync_api import expect

from referral.extensions import db
from referral.services.cases import read_identity
from tests.browser.conftest import snap
from tests.browser.test_referral_journey import _log_in
from tests.factories import as_user, make_case


def test_an_arabic_reader_answers_who_read_her_file_and_why(page, world):
    case = make_case(world.cw_a)
    with as_user(world.cw_a):
        read_identity(world.cw_a, case)
        db.session.commit()
    _log_in(page, world.auditor, language="ar")
    page.goto("/audit")
    page.locator("#case").fill(case.case_number)
    page.locator("#action").select_option("case.read")
    page.locator("form.audit-filters button[type=submit]").click()
    row = page.locator("table.audit-log tbody tr").first
    expect(row).to_contain_text("اطلع على ملف")
    expect(row).to_contain_text("رواية العنف")
    expect(row).to_contain_text("للعمل على الملف")
    expect(row).to_contain_text("cw.a")
    snap(page, "access-log-ar")


def test_an_auditor_sees_what_waits_for_the_chain_and_signing_links_it(page, world):
    make_case(world.cw_a)  # its events are written, not chained: the scheduler is not running here
    _log_in(page, world.auditor, language="ar")
    page.goto("/audit/verify")
    expect(page.locator(".verdict-ok")).to_be_visible()
    expect(page.get_by_test_id("waiting")).to_be_visible()
    page.locator("form[action$='/audit/verify/sign'] button[type=submit]").click()
    expect(page.locator(".verdict-ok")).to_be_visible()
    expect(page.locator("#h-checkpoint + dl.facts")).to_be_visible()  # signed, at the linked head
    snap(page, "access-log-verify-ar")
