"""The caseworker's whole job in a real browser (issue 20): she plans with the survivor, books a court
accompaniment that shows up in her follow-ups and her calendar feed, writes to the police officer
about the referral, prints a letter for a lawyer without an account and sees the lawyer's
acceptance arrive through its one-time address, asks her supervisor to approve the closure, and
the file closes with its outcome once the supervisor approves."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from referral.extensions import db
from referral.models.vocab import AgencyKind, Role, ServiceCategory
from referral.services import supervision
from tests.browser.conftest import snap
from tests.browser.test_referral_journey import _log_in
from tests.factories import as_user, consent_and_refer, make_agency, make_case, make_user


def test_plan_follow_up_message_partner_letter_and_supervised_closure(browser, live_server, page, page_log, world):
    lawyer = make_agency("LAWYER", AgencyKind.ASSOCIATION, world.r1, [ServiceCategory.LEGAL])
    lawyer.external_partner = True
    lead = make_user("lead.a", world.assoc_a, Role.CASEWORKER, Role.LEAD)
    for user in (world.cw_a, lead, world.officer_police):
        user.locale = "en"
    db.session.commit()
    with as_user(lead):
        supervision.set_steps(lead, ["case_close"])
        db.session.commit()
    case = make_case(world.cw_a)
    police = consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    to_lawyer = consent_and_refer(world.cw_a, case, world.service(lawyer, ServiceCategory.LEGAL),
                                  fields=("name", "contact"))
    db.session.commit()

    _log_in(page, world.cw_a)
    page.goto(f"/cases/{case.id}")
    # Her plan: a legal goal agreed with her, served by the lawyer's referral.
    page.locator("#plan summary").last.click()
    page.locator("#area").select_option("legal")
    page.locator("#goal").fill("File a complaint against him")
    page.locator("#actions").fill("Medical certificate\nSee the lawyer")
    page.locator("input[name=by_whom][value=referral]").check()
    page.locator("#referral_id").select_option(str(to_lawyer.id))
    page.locator("form[action$='/goals'] button[type=submit]").click()
    expect(page.locator("ul.goals .goal")).to_contain_text("File a complaint against him")
    # A court accompaniment in her follow-ups.
    page.locator("#tasks summary").click()
    page.locator("#kind").select_option("accompany")
    page.locator("#due_at").fill("17/06/2027 09:30")
    page.locator("form[action$='/tasks'] button[type=submit]").click()
    expect(page.locator("#tasks table.list")).to_contain_text("17/06/2027 09:30")
    snap(page, "casework-plan-and-follow-ups")

    # ... and in her phone's calendar, opaquely.
    page.goto("/account")
    page.locator("#calendar form button[type=submit]").first.click()
    feed = page.locator("code.feed-url").inner_text()
    path = re.search(r"/calendar/[^\s]+\.ics", feed).group(0)
    calendar_app = browser.new_context(base_url=live_server)  # a calendar app: no cookie of hers
    ics = calendar_app.request.get(path).text()
    calendar_app.close()
    assert "Masar · Accompany her" in ics and case.case_number not in ics and "complaint" not in ics

    # A message to the police officer about her referral.
    page.goto(f"/referrals/{police.id}")
    page.locator("#notes textarea[name=body]").fill("She can come on Thursday morning")
    page.locator("#notes button[type=submit]").click()
    expect(page.locator("#notes article.note")).to_contain_text("She can come on Thursday morning")

    # The lawyer has no account: a printed letter with a one-time address.
    page.goto(f"/referrals/{to_lawyer.id}")
    page.locator("#letter-language").select_option("fr")
    page.locator("#partner form.inline-form button[type=submit]").click()
    address = page.locator(".partner-address code").inner_text()
    snap(page, "casework-partner-letter")
    partner_path = re.search(r"/partner/[A-Za-z0-9_\-]+", address).group(0)
    outside = browser.new_context(base_url=live_server, java_script_enabled=False)
    lawyer_page = outside.new_page()
    lawyer_page.goto(partner_path + "?lang=fr")
    expect(lawyer_page.locator("main h1")).to_contain_text(to_lawyer.reference)
    lawyer_page.locator("form[action$='/accept'] button[type=submit]").click()
    expect(lawyer_page.locator(".flash-success")).to_be_visible()
    snap(lawyer_page, "casework-partner-answer")
    assert outside.cookies() == []
    outside.close()
    page.goto(f"/referrals/{to_lawyer.id}")
    expect(page.locator("main")).to_contain_text("Accepted")

    # The closure goes to her supervisor; the file stays open until she approves.
    page.goto(f"/cases/{case.id}")
    page.locator("#h-close").click()  # the closure form is fetched when she opens it
    page.locator("#reason").select_option("needs_met")
    page.locator("input[name=services_received][value=legal]").check()
    page.locator("#comment").fill("The complaint is filed; she is safe at her sister's")
    page.locator("form[action$='/close'] button[type=submit]").click()
    expect(page.locator("#approvals")).to_contain_text("Waiting for a supervisor")

    supervisor = browser.new_context(base_url=live_server)
    lead_page = supervisor.new_page()
    _log_in(lead_page, lead)
    lead_page.goto("/supervision")
    lead_page.locator("table.list a.ref").first.click()
    lead_page.locator("#approvals button.primary").click()
    expect(lead_page.locator(".flash-success")).to_be_visible()
    supervisor.close()
    page.goto(f"/cases/{case.id}")
    expect(page.locator("#h-close")).to_have_text("Reopen the file")
    page.locator("#h-timeline").click()  # the history is fetched when she opens it
    expect(page.locator("ol.timeline")).to_contain_text("Closure approved by the supervisor")
    snap(page, "casework-closed-after-approval")
    page_log.assert_clean()
