"""Hot cases through the pages: a caseworker flags her file, the coalition lists it without her
name, decides on it (a stale page changes nothing), a coordinator of another governorate finds
nothing, a reminder leads to the hot case."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from referral.extensions import db
from referral.jobs.hot_case_reviews import send_review_reminders
from referral.models import HotCase, HotCaseDecision, Notification
from tests.factories import csrf_token, login, make_case
from tests.web.test_observatory_pages import english


def test_a_caseworker_flags_her_file_and_the_coalition_follows_it_without_her_name(client, world, app):
    case = make_case(world.cw_a)
    english(client, world.cw_a)
    assert "/hot-cases/file/" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    page = client.get(f"/hot-cases/file/{case.id}")
    assert page.status_code == 200
    answer = client.post(f"/hot-cases/file/{case.id}", data={
        "reason": "repeated_violence", "comment": "Third complaint this year", "review_every_days": "10",
        "csrf_token": csrf_token(client, f"/hot-cases/file/{case.id}")})
    assert answer.status_code == 302
    hot = db.session.execute(select(HotCase)).scalar_one()
    assert "already followed" in client.get(f"/hot-cases/file/{case.id}").get_data(as_text=True)

    coordinator = app.test_client()
    english(coordinator, world.coordinator)
    listing = coordinator.get("/hot-cases").get_data(as_text=True)
    assert hot.number in listing and "Repeated violence" in listing
    detail = coordinator.get(f"/hot-cases/{hot.id}").get_data(as_text=True)
    assert "Third complaint this year" in detail
    for identity in ("فاطمة", "0612345678", case.case_number):
        assert identity not in listing and identity not in detail


def test_a_refused_flag_keeps_what_she_typed_and_writes_nothing(client, world):
    case = make_case(world.cw_a)
    english(client, world.cw_a)
    answer = client.post(f"/hot-cases/file/{case.id}", data={
        "reason": "repeated_violence", "comment": "Keep this text", "review_every_days": "365",
        "csrf_token": csrf_token(client, f"/hot-cases/file/{case.id}")})
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert "Keep this text" in text and "between 1 and 90 days" in text
    assert db.session.execute(select(func.count()).select_from(HotCase)).scalar_one() == 0


def test_another_association_cannot_reach_the_flag_page(client, world):
    case = make_case(world.cw_a)
    login(client, world.cw_b)
    assert client.get(f"/hot-cases/file/{case.id}").status_code == 404
    assert client.get("/hot-cases").status_code == 403


@pytest.fixture
def hot(world):
    from tests.services.test_hot_cases import flag

    return flag(world.cw_a, make_case(world.cw_a))


def test_a_decision_on_a_stale_page_changes_nothing(client, world, hot):
    english(client, world.coordinator)
    token = csrf_token(client, f"/hot-cases/{hot.id}")
    first = client.post(f"/hot-cases/{hot.id}/decisions", data={
        "kind": "follow_up", "text": "Police to visit", "version": "1", "csrf_token": token})
    assert first.status_code == 302
    stale = client.post(f"/hot-cases/{hot.id}/decisions", data={
        "kind": "close", "text": "Closing on an old page", "version": "1", "csrf_token": token})
    assert stale.status_code == 409
    assert "Closing on an old page" in stale.get_data(as_text=True)  # what she typed is kept
    db.session.expire_all()
    assert db.session.get(HotCase, hot.id).closed_at is None
    assert db.session.execute(select(func.count()).select_from(HotCaseDecision)).scalar_one() == 1


def test_a_coordinator_of_another_governorate_finds_nothing(client, world, hot):
    login(client, world.regional_coordinator)  # R2; the hot case is R1's
    assert hot.number not in client.get("/hot-cases").get_data(as_text=True)
    assert client.get(f"/hot-cases/{hot.id}").status_code == 404
    answer = client.post(f"/hot-cases/{hot.id}/decisions", data={
        "kind": "close", "text": "x", "version": "1", "csrf_token": csrf_token(client, "/hot-cases")})
    assert answer.status_code == 404
    assert db.session.execute(select(func.count()).select_from(HotCaseDecision)).scalar_one() == 0


def test_a_coordinator_flags_a_referral_by_reference_on_the_list_page(client, world):
    from referral.models.vocab import ServiceCategory
    from tests.factories import consent_and_refer

    referral = consent_and_refer(world.cw_a, make_case(world.cw_a),
                                 world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    english(client, world.coordinator)
    token = csrf_token(client, "/hot-cases")
    unknown = client.post("/hot-cases/flag", data={"reference": "REF-1999-000001", "reason": "service_failure",
                                                   "review_every_days": "7", "csrf_token": token})
    assert unknown.status_code == 422 and "No referral you oversee" in unknown.get_data(as_text=True)
    answer = client.post("/hot-cases/flag", data={"reference": referral.reference, "reason": "service_failure",
                                                  "review_every_days": "7", "csrf_token": token})
    assert answer.status_code == 302
    assert db.session.execute(select(HotCase.referral_id)).scalar_one() == referral.id


def test_the_review_reminder_leads_to_the_hot_case(client, world, hot, clock):
    clock.shift(timedelta(days=15))
    assert send_review_reminders() == 1
    english(client, world.coordinator)
    notification = db.session.execute(
        select(Notification).where(Notification.kind == "hot_case.review_due")).scalar_one()
    assert f"Hot case {hot.number} is due for review." in client.get("/notifications/").get_data(as_text=True)
    answer = client.get(f"/notifications/{notification.id}")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/hot-cases/{hot.id}")
    assert "Review due" in client.get(f"/hot-cases/{hot.id}").get_data(as_text=True)


def test_a_reference_outside_her_governorate_reads_like_an_unknown_one_and_is_audited(client, world):
    from referral.models import AuditEvent
    from referral.models.vocab import ServiceCategory
    from tests.factories import consent_and_refer

    to_police = consent_and_refer(world.cw_a, make_case(world.cw_a),
                                  world.service(world.police, ServiceCategory.POLICE_PROTECTION))  # R1
    english(client, world.regional_coordinator)  # R2
    token = csrf_token(client, "/hot-cases")
    answer = client.post("/hot-cases/flag", data={"reference": to_police.reference, "reason": "service_failure",
                                                  "review_every_days": "7", "csrf_token": token})
    assert answer.status_code == 422 and "No referral you oversee" in answer.get_data(as_text=True)
    assert db.session.execute(select(func.count()).select_from(HotCase)).scalar_one() == 0
    denial = db.session.execute(select(AuditEvent).where(AuditEvent.action == "access.denied")).scalar_one()
    assert denial.details["answer"] == "not_found"


def test_from_a_referral_she_oversees_the_coordinator_reaches_the_flag_form_filled_in(client, world):
    from referral.models.vocab import ServiceCategory
    from tests.factories import consent_and_refer

    referral = consent_and_refer(world.cw_a, make_case(world.cw_a),
                                 world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    english(client, world.coordinator)
    page = client.get(f"/dashboard/referrals/{referral.id}").get_data(as_text=True)
    link = f"/hot-cases?reference={referral.reference}#flag"
    assert link in page.replace("&amp;", "&")
    form = client.get(f"/hot-cases?reference={referral.reference}").get_data(as_text=True)
    assert f'value="{referral.reference}"' in form
