"""Guided file work in a real browser (issue 21, part 6): a refused form comes back with the summary
of errors focused, and its link leads to the field that fixes it; the next step is the main button."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_referral_journey import _log_in
from tests.factories import make_case


def test_a_refused_close_focuses_the_error_summary_and_its_link_leads_to_the_field(page, page_log, world):
    case = make_case(world.cw_a)
    _log_in(page, world.cw_a)
    page.goto(f"/cases/{case.id}")
    expect(page.locator("a.button.primary")).to_have_attribute("href", "#consent")  # consent comes first
    page.locator("#h-close").click()  # the closure form is fetched when she opens it
    page.locator("#comment").fill("She moved to her sister's")
    page.locator("form[action$='/close'] button[type=submit]").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(page.locator("#comment")).to_have_value("She moved to her sister's")  # nothing typed is lost
    summary.locator("a[href='#reason']").click()
    expect(page.locator("#reason")).to_have_attribute("aria-invalid", "true")
    page_log.assert_clean()


def test_a_referral_printed_as_a_letter_has_no_form_or_button(page, world):
    from referral.extensions import db
    from referral.models.vocab import ServiceCategory
    from tests.factories import consent_and_refer

    case = make_case(world.cw_a)
    referral = consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    db.session.commit()
    _log_in(page, world.officer_police)
    page.goto(f"/referrals/{referral.id}")
    expect(page.locator("form.action-form").first).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("h1 .ref")).to_have_text(referral.reference)
    assert page.locator("main form:visible, main button:visible, a.quick-exit:visible").count() == 0


def test_withdrawing_consent_asks_for_confirmation_and_says_what_each_agency_will_see(page, page_log, world):
    from referral.extensions import db
    from referral.models.vocab import ServiceCategory
    from tests.factories import consent_and_refer

    case = make_case(world.cw_a)
    referral = consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION),
                                 fields=("name", "contact"))
    db.session.commit()
    _log_in(page, world.cw_a)
    page.goto(f"/cases/{case.id}")
    page.locator("#consent a.button.danger").first.click()  # one click shows what will change, nothing more

    expect(page.locator("main h1")).to_be_visible()
    row = page.locator("table.withdrawal-preview tr.changes")
    expect(row).to_have_count(1)
    expect(row.locator("a.ref")).to_have_text(referral.reference)
    # "Keep it" changes nothing...
    page.locator("form.form-actions a.button").click()
    expect(page.locator("#consent tr.withdrawn")).to_have_count(0)
    # ...the confirmation withdraws it, and the referral page then says what the police still see.
    page.locator("#consent a.button.danger").first.click()
    page.locator("form.form-actions button.danger").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("#consent tr.withdrawn")).to_have_count(1)
    page.goto(f"/referrals/{referral.id}")
    seen = page.locator("dd.recipient-access")
    expect(seen).to_be_visible()
    assert "الاسم" not in seen.inner_text()  # her name is no longer among what the police read
    page_log.assert_clean()
