"""Refusals on the pages: a 403 or 404 with a translated page and an access.denied event naming the
record, never a 500, and nothing written (no version bump, no history, no note)."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from referral.extensions import db
from referral.models import AuditEvent, Note, Referral, ReferralEvent
from referral.models.vocab import AuditOutcome, ReferralStatus, ServiceCategory
from referral.workflows.engine import fire
from tests.api.conftest import assert_problem, bearer, token_for
from tests.factories import IDENTITY, as_user, consent_and_refer, csrf_token, login, make_case


@pytest.fixture
def referral(world):
    case = make_case(world.cw_a)
    return consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))


def post_transition(client, referral, action, **fields):
    current = db.session.get(Referral, referral.id)
    return client.post(f"/referrals/{referral.id}/transition",
                       data={"action": action, "version": str(current.version),
                             "csrf_token": csrf_token(client, f"/referrals/{referral.id}")} | fields)


def denials_of(username: str) -> list[AuditEvent]:
    return db.session.execute(select(AuditEvent).where(AuditEvent.action == "access.denied",
                                                       AuditEvent.actor_username == username)).scalars().all()


def snapshot(referral) -> tuple[int, int]:
    current = db.session.get(Referral, referral.id)
    events = db.session.scalar(select(func.count()).select_from(ReferralEvent)
                               .where(ReferralEvent.referral_id == referral.id))
    return current.version, events


@pytest.mark.parametrize(("who", "action", "fields", "code"), [
    ("cw_a", "accept", {}, 403),  # the sender accepting her own referral
    ("officer_police", "withdraw", {}, 403),  # the recipient withdrawing it
    ("coordinator", "accept", {}, 403),  # a coordinator acting for the agency
    ("coordinator", "withdraw", {}, 403),
])
def test_a_refused_transition_is_a_translated_refusal_that_changes_nothing(client, world, referral, who, action,
                                                                           fields, code):
    user = getattr(world, who)
    user.locale = "fr"
    db.session.commit()
    before = snapshot(referral)
    login(client, user)
    response = post_transition(client, referral, action, **fields)
    assert response.status_code == code
    with force_locale("fr"):
        title = _("Not allowed")
    assert title != "Not allowed" and title in response.get_data(as_text=True)
    assert snapshot(referral) == before
    [denial] = denials_of(user.username)
    assert (denial.object_type, denial.object_id, denial.outcome) == ("referral", str(referral.id),
                                                                      AuditOutcome.DENIED)
    assert denial.details["action"] in ("referral:receive", "referral:send") and denial.details["answer"] == "forbidden"


def test_a_recipient_cannot_write_a_note_on_the_file_itself(client, world, referral):
    login(client, world.officer_police)
    case_id = referral.case_id
    token = csrf_token(client, f"/cases/{case_id}")
    response = client.post(f"/cases/{case_id}/notes", data={"body": "Her cousin works here.", "csrf_token": token})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Note)) == 0
    [denial] = denials_of("officer.police")
    assert (denial.object_type, denial.case_id) == ("case", case_id)


def test_a_withdrawn_referral_opens_from_the_inbox_without_her_data(client, world, referral):
    with as_user(world.cw_a):
        fire(db.session.get(Referral, referral.id), "withdraw", world.cw_a)
        db.session.commit()
    login(client, world.officer_police)
    closed_tab = client.get("/referrals/inbox?tab=closed").get_data(as_text=True)
    assert referral.reference in closed_tab
    page = client.get(f"/referrals/{referral.id}")
    assert page.status_code == 200
    assert IDENTITY["full_name"] not in page.get_data(as_text=True)
    # Acting on it, or writing about her through it, is refused and logged.
    before = snapshot(referral)
    assert post_transition(client, referral, "accept").status_code in (403, 409)
    assert snapshot(referral) == before
    note = client.post(f"/referrals/{referral.id}/notes",
                       data={"body": "x", "csrf_token": csrf_token(client, f"/referrals/{referral.id}")})
    assert note.status_code == 404 and db.session.scalar(select(func.count()).select_from(Note)) == 0
    assert denials_of("officer.police")
    assert db.session.get(Referral, referral.id).status == ReferralStatus.WITHDRAWN


def test_another_agency_probing_a_referral_gets_a_404_and_leaves_a_trace(client, world, referral):
    login(client, world.officer_hospital)
    assert client.get(f"/referrals/{referral.id}").status_code == 404
    assert post_transition(client, referral, "accept").status_code == 404
    assert {(d.object_type, d.object_id) for d in denials_of("officer.hospital")} == {("referral", str(referral.id))}


def test_the_api_names_the_refused_record_too(client, world, referral):
    token = token_for(world.cw_a)
    before = snapshot(referral)
    response = client.post(f"/api/v1/referrals/{referral.id}/transitions", json={"action": "accept"},
                           headers=bearer(token))
    assert_problem(response, 403, "forbidden")
    assert snapshot(referral) == before
    [denial] = denials_of("cw.a")
    assert (denial.object_type, denial.object_id, denial.case_id) == ("referral", str(referral.id), referral.case_id)
    assert denial.details["channel"] == "api"
