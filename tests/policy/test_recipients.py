"""A receiving agency reads a survivor's data only under the consent covering its referral, and only
until its access ends; tried through the pages and the API as an insider of that agency would."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from referral.extensions import db
from referral.models import Consent, Note, Notification, Referral
from referral.models.vocab import ReferralStatus, ServiceCategory
from referral.services.assessments import assess_risk
from referral.services.consents import record_consent, withdraw_consent
from referral.services.notes import add_note
from referral.services.risk import QUESTION_IDS
from referral.workflows.engine import fire
from tests.api.conftest import assert_problem, bearer, token_for
from tests.factories import IDENTITY, as_user, consent_and_refer, csrf_token, login, make_case

NAME = IDENTITY["full_name"]
MESSAGE = "She must not be called after 6 pm: her brother-in-law answers."


def english(*users):
    for user in users:
        user.locale = "en"
    db.session.commit()


def act(user, referral, action, **kwargs):
    with as_user(user):
        fire(db.session.get(Referral, referral.id), action, user, **kwargs)
        db.session.commit()


def officer_sees(app, world, case, referral) -> dict:
    """What the police officer gets for the file and the referral, through the pages and the API
    (a new browser each time: she logs in at whatever time the test has set)."""
    client = app.test_client()
    token = token_for(world.officer_police)
    api_case = client.get(f"/api/v1/cases/{case.id}", headers=bearer(token))
    api_referral = client.get(f"/api/v1/referrals/{referral.id}", headers=bearer(token)).get_json()
    login(client, world.officer_police)
    return {"case_page": client.get(f"/cases/{case.id}"), "referral_page": client.get(f"/referrals/{referral.id}"),
            "api_case": api_case, "api_referral": api_referral, "client": client}


@pytest.fixture
def referred(world):
    english(world.cw_a, world.officer_police, world.cw_b)
    case = make_case(world.cw_a)
    referral = consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION),
                                 message=MESSAGE)
    return case, referral


def test_the_recipient_reads_her_name_while_the_referral_is_live(app, client, world, referred):
    case, referral = referred
    seen = officer_sees(app, world, case, referral)
    assert NAME in seen["case_page"].get_data(as_text=True)
    page = seen["referral_page"].get_data(as_text=True)
    assert NAME in page and MESSAGE in page
    assert seen["api_case"].get_json()["identity"]["full_name"] == NAME
    assert seen["api_referral"]["message"] == MESSAGE and seen["api_referral"]["access_ended"] is None


def test_another_consent_of_the_agency_does_not_reopen_a_withdrawn_one(client, world):
    """The issue's probe: the agency also offers a service a different consent covers."""
    english(world.cw_b)
    case = make_case(world.cw_a)
    legal = world.service(world.assoc_b, ServiceCategory.LEGAL)
    referral = consent_and_refer(world.cw_a, case, legal, message=MESSAGE)
    with as_user(world.cw_a):
        # Meant for whichever shelter she goes to; association B happens to run one.
        record_consent(world.cw_a, case, fields=["name", "contact"], service_category=ServiceCategory.SHELTER)
        withdraw_consent(world.cw_a, case, db.session.execute(
            select(Consent).where(Consent.case_id == case.id, Consent.agency_id == world.assoc_b.id)).scalar_one())
        db.session.commit()

    token = token_for(world.cw_b)
    assert_problem(client.get(f"/api/v1/cases/{case.id}", headers=bearer(token)), 404)
    body = client.get(f"/api/v1/referrals/{referral.id}", headers=bearer(token)).get_json()
    assert (body["identity"], body["message"], body["access_ended"]) == ({}, None, "no_consent")
    login(client, world.cw_b)
    assert client.get(f"/cases/{case.id}").status_code == 404
    page = client.get(f"/referrals/{referral.id}")
    assert page.status_code == 200 and referral.reference in page.get_data(as_text=True)
    assert NAME not in page.get_data(as_text=True) and MESSAGE not in page.get_data(as_text=True)
    assert "no consent covers this referral any more" in page.get_data(as_text=True)


def test_withdrawing_consent_cuts_the_free_text_written_about_her(app, client, world, referred):
    case, referral = referred
    act(world.officer_police, referral, "acknowledge")
    act(world.officer_police, referral, "info_request", message="Is the husband still at the address?")
    act(world.cw_a, referral, "info_provided", message="Yes, he moved back in on Monday.")
    with as_user(world.cw_a):
        add_note(world.cw_a, case, "Neighbour Rachid is his cousin.", referral=db.session.get(Referral, referral.id))
        db.session.commit()
    seen = officer_sees(app, world, case, referral)
    assert "Rachid" in seen["referral_page"].get_data(as_text=True)
    assert "moved back" in str(seen["api_referral"])

    with as_user(world.cw_a):
        for consent in db.session.execute(select(Consent).where(Consent.case_id == case.id)).scalars():
            withdraw_consent(world.cw_a, case, consent)
        db.session.commit()

    seen = officer_sees(app, world, case, referral)
    assert seen["case_page"].status_code == 404
    assert_problem(seen["api_case"], 404)
    page = seen["referral_page"].get_data(as_text=True)
    for text in (NAME, MESSAGE, "husband still", "moved back", "Rachid"):
        assert text not in page
        assert text not in str(seen["api_referral"])
    assert [h["action"] for h in seen["api_referral"]["history"]][-2:] == ["info_request", "info_provided"]
    # She can no longer write about her either: refused, logged, nothing written.
    notes_before = db.session.scalar(select(func.count()).select_from(Note))
    officer = seen["client"]
    token = csrf_token(officer, f"/referrals/{referral.id}")
    posted = officer.post(f"/referrals/{referral.id}/notes", data={"body": "Saw her.", "csrf_token": token})
    assert posted.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Note)) == notes_before


@pytest.mark.parametrize(("by", "steps", "status"), [
    ("officer_police", [("decline", {"reason": "no_capacity"})], "declined"),
    ("officer_police", [("accept", {}), ("return", {"reason": "no_capacity"})], "returned"),
    ("cw_a", [("withdraw", {})], "withdrawn"),
])
def test_declined_returned_or_withdrawn_ends_access_at_once(app, client, world, referred, by, steps, status):
    case, referral = referred
    for action, fields in steps:
        act(getattr(world, by), referral, action, **fields)
    seen = officer_sees(app, world, case, referral)
    assert seen["case_page"].status_code == 404
    assert_problem(seen["api_case"], 404)
    # The agency keeps the referral's record for its own work, nothing that identifies her.
    page = seen["referral_page"]
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert referral.reference in text and NAME not in text and MESSAGE not in text
    body = seen["api_referral"]
    assert (body["status"], body["identity"], body["message"], body["access_ended"]) == (status, {}, None, status)
    assert body["sent_at"] is not None


def _complete(world, referral):
    for action, fields in [("accept", {}), ("start", {}), ("complete", {"message": "Protection order served."})]:
        act(world.officer_police, referral, action, **fields)
    return db.session.get(Referral, referral.id).completed_at


def test_a_completed_referral_keeps_access_for_thirty_days_then_ends(app, client, world, referred, clock):
    case, referral = referred
    completed_at = _complete(world, referral)
    clock.move_to(completed_at + timedelta(days=29))
    seen = officer_sees(app, world, case, referral)
    assert NAME in seen["case_page"].get_data(as_text=True)
    assert seen["api_referral"]["access_until"] is not None
    assert "can read her information until" in seen["referral_page"].get_data(as_text=True)
    clock.move_to(completed_at + timedelta(days=30, minutes=1))
    seen = officer_sees(app, world, case, referral)
    assert seen["case_page"].status_code == 404
    body = seen["api_referral"]
    assert (body["identity"], body["access_ended"]) == ({}, "completed")
    # Her agency's own record of the outcome stays.
    assert body["outcome"] == "Protection order served." and body["completed_at"] is not None


def test_the_period_after_completion_is_configurable(app, client, world, referred, clock, monkeypatch):
    case, referral = referred
    completed_at = _complete(world, referral)
    monkeypatch.setitem(app.config, "RECIPIENT_ACCESS_AFTER_COMPLETION", timedelta(days=2))
    clock.move_to(completed_at + timedelta(days=3))
    assert officer_sees(app, world, case, referral)["api_referral"]["access_ended"] == "completed"


def test_closing_the_file_withdraws_its_referrals_and_ends_every_recipients_access(app, client, world, referred):
    case, open_referral = referred
    done = consent_and_refer(world.cw_a, case, world.service(world.assoc_b, ServiceCategory.LEGAL))
    act(world.cw_b, done, "accept")
    act(world.cw_b, done, "start")
    act(world.cw_b, done, "complete", message="Lawyer assigned.")

    login(client, world.cw_a)
    closed = client.post(f"/cases/{case.id}/close", data={"reason": "survivor_withdrew",
                                                          "csrf_token": csrf_token(client, f"/cases/{case.id}")})
    assert closed.status_code == 302
    assert db.session.get(Referral, open_referral.id).status == ReferralStatus.WITHDRAWN
    assert db.session.get(Referral, done.id).status == ReferralStatus.COMPLETED
    told = db.session.execute(select(Notification).where(Notification.user_id == world.officer_police.id,
                                                         Notification.kind == "referral.withdraw")).scalars().all()
    assert len(told) == 1 and NAME not in str(vars(told[0]))

    seen = officer_sees(app, world, case, open_referral)
    assert seen["case_page"].status_code == 404
    assert seen["api_referral"]["access_ended"] == "withdrawn"
    token = token_for(world.cw_b)
    assert_problem(client.get(f"/api/v1/cases/{case.id}", headers=bearer(token)), 404)
    body = client.get(f"/api/v1/referrals/{done.id}", headers=bearer(token)).get_json()
    assert (body["identity"], body["access_ended"], body["outcome"]) == ({}, "file_closed", "Lawyer assigned.")


def test_the_risk_level_is_shown_only_under_a_risk_consent(client, other_client, world):
    english(world.officer_police, world.officer_hospital)
    case = make_case(world.cw_a)
    with as_user(world.cw_a):
        assess_risk(world.cw_a, case, dict.fromkeys(QUESTION_IDS, True))
        db.session.commit()
    consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    consent_and_refer(world.cw_a, case, world.service(world.hospital, ServiceCategory.MEDICAL),
                      fields=("name", "risk_assessment"))
    login(client, world.officer_police)
    without = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert NAME in without and "High risk" not in without
    police = client.get(f"/api/v1/cases/{case.id}", headers=bearer(token_for(world.officer_police))).get_json()
    assert police["identity"]["full_name"] == NAME and police["risk_level"] is None
    login(other_client, world.officer_hospital)
    assert "High risk" in other_client.get(f"/cases/{case.id}").get_data(as_text=True)
    hospital = client.get(f"/api/v1/cases/{case.id}", headers=bearer(token_for(world.officer_hospital))).get_json()
    assert hospital["risk_level"] == "high"


def test_the_owner_sees_what_each_agency_still_sees(client, world, referred):
    case, referral = referred
    legal = consent_and_refer(world.cw_a, case, world.service(world.assoc_b, ServiceCategory.LEGAL),
                              fields=("name",))
    act(world.cw_b, legal, "decline", reason="no_capacity")
    login(client, world.cw_a)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "What the agency still sees" in page
    assert "Phone, address and safe contact instructions, Name" in page  # the police
    assert "Nothing: the referral was declined" in page  # association B


def test_the_file_page_lists_what_the_access_decision_read_until_a_referral_changes(app, world):
    """A receiving agency's file page reuses the referrals its access decision read (one query
    fewer): the same list as the listing query, withdrawn ones kept, drafts never; and read anew
    as soon as a referral changes in the request."""
    from flask import g

    from referral.policy import case_access
    from referral.policy.core import known_recipient_listing
    from referral.services.case_views import case_referrals

    case = make_case(world.cw_a)
    police = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    withdrawn = consent_and_refer(world.cw_a, case, police)
    act(world.cw_a, withdrawn, "withdraw", reason="error")
    live = consent_and_refer(world.cw_a, case, police)
    draft = consent_and_refer(world.cw_a, case, police, send=False)  # never the police's to see
    assert draft.status == ReferralStatus.DRAFT
    officer = world.officer_police
    with app.test_request_context():
        g.user = officer
        assert case_access(officer, case).relation == "recipient"
        listed = case_referrals(officer, case)
        assert [r.id for r in listed] == [withdrawn.id, live.id]
        assert known_recipient_listing(officer, case) is not None
        db.session.get(Referral, live.id).status = ReferralStatus.DECLINED  # pending in the session
        assert known_recipient_listing(officer, case) is None
        db.session.flush()
        assert known_recipient_listing(officer, case) is None  # the decisions were forgotten
        db.session.rollback()
