"""Referrals to partners outside Masar (issue 20, part 5): a printed letter with only what she agreed
to share, and a one-time address with which the partner acknowledges, accepts or declines and
reports back, without an account; each action once; the address ends with a new letter, the
sender's stop, her consent, the referral, or after 30 days."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from referral.extensions import db
from referral.models import AuditEvent, Consent, Notification, PartnerLink, Referral, ReferralEvent
from referral.models.vocab import AgencyKind, ReferralStatus, ServiceCategory
from referral.services.consents import withdraw_consent
from referral.workflows.engine import fire
from tests.factories import IDENTITY, as_user, consent_and_refer, csrf_token, login, make_agency, make_case, race

ADDRESS = re.compile(r"http://[^\s<\"]+(/partner/[A-Za-z0-9_\-]+)")
TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@pytest.fixture
def lawyer(world):
    agency = make_agency("LAWYER", AgencyKind.ASSOCIATION, world.r1, [ServiceCategory.LEGAL])
    agency.external_partner = True
    world.cw_a.locale = "en"
    db.session.commit()
    return agency


@pytest.fixture
def referred(world, lawyer):
    case = make_case(world.cw_a)
    return consent_and_refer(world.cw_a, case, world.service(lawyer, ServiceCategory.LEGAL),
                             fields=("name", "contact"))


def _letter(client, referral, language="fr"):
    page = f"/referrals/{referral.id}"
    return client.post(f"{page}/partner-letter", data={"csrf_token": csrf_token(client, page), "language": language})


def _address(response) -> str:
    match = ADDRESS.search(response.get_data(as_text=True))
    assert match, "the letter carries the partner's address"
    return match.group(1)


def _act(partner, address, action, **fields):
    token = TOKEN.search(partner.get(address).get_data(as_text=True)).group(1)
    return partner.post(f"{address}/{action}", data={"form_token": token, **fields})


def _status(referral) -> ReferralStatus:
    db.session.expire_all()
    return db.session.get(Referral, referral.id).status


def test_the_letter_carries_what_she_agreed_to_share_and_a_one_time_address(client, world, referred):
    login(client, world.cw_a)
    response = _letter(client, referred)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert IDENTITY["full_name"] in html and IDENTITY["phone"] in html
    assert IDENTITY["narrative"] not in html and IDENTITY["national_id"] not in html  # not consented for it
    assert 'lang="fr"' in html
    secret = _address(response).rsplit("/", 1)[-1]
    [link] = db.session.execute(select(PartnerLink)).scalars().all()
    assert secret not in link.token_hash and link.expires_at - link.created_at == timedelta(days=30)
    assert db.session.execute(select(AuditEvent.action).where(AuditEvent.action == "partner.link_issue")).first()


def test_the_partner_answers_without_an_account_and_the_loop_runs(client, other_client, world, referred):
    login(client, world.cw_a)
    address = _address(_letter(client, referred))
    page = other_client.get(address)
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    assert IDENTITY["full_name"] in page.get_data(as_text=True)
    read = db.session.execute(select(AuditEvent).where(AuditEvent.action == "partner.read")).scalars().first()
    assert read.actor_username == "partner:LAWYER" and "full_name" in read.fields

    response = _act(other_client, address, "accept")
    assert response.status_code == 302 and "Set-Cookie" not in response.headers
    assert _status(referred) == ReferralStatus.ACCEPTED
    event = db.session.execute(select(ReferralEvent).where(ReferralEvent.action == "accept")).scalar_one()
    assert event.actor_user_id is None and event.actor_agency_id == referred.to_agency_id
    assert db.session.execute(select(Notification).where(Notification.user_id == world.cw_a.id,
                                                         Notification.kind == "referral.accept")).first()
    accepted = db.session.execute(select(AuditEvent).where(AuditEvent.action == "referral.accept")).scalar_one()
    assert accepted.actor_username == "partner:LAWYER"

    assert _act(other_client, address, "accept").status_code == 409  # once
    refused = _act(other_client, address, "complete", message="")
    assert refused.status_code == 422 and _status(referred) == ReferralStatus.ACCEPTED
    assert _act(other_client, address, "complete", message="Complaint filed at the court").status_code == 302
    assert _status(referred) == ReferralStatus.COMPLETED
    assert "Complaint filed at the court" in client.get(f"/referrals/{referred.id}").get_data(as_text=True)


@pytest.mark.parametrize("ending", ["new_letter", "stopped", "consent", "withdrawn", "expired", "file_closed"])
def test_the_address_ends(client, other_client, world, referred, clock, ending):
    login(client, world.cw_a)
    address = _address(_letter(client, referred))
    assert other_client.get(address).status_code == 200
    if ending == "new_letter":
        _letter(client, referred)
    elif ending == "stopped":
        client.post(f"/referrals/{referred.id}/partner-link/revoke",
                    data={"csrf_token": csrf_token(client, f"/referrals/{referred.id}")})
    elif ending == "consent":
        with as_user(world.cw_a):
            case = db.session.get(Referral, referred.id).case
            for consent in db.session.execute(select(Consent).where(Consent.case_id == case.id)).scalars():
                withdraw_consent(world.cw_a, case, consent)
            db.session.commit()
    elif ending == "withdrawn":
        with as_user(world.cw_a):
            fire(db.session.get(Referral, referred.id), "withdraw", world.cw_a)
            db.session.commit()
    elif ending == "expired":
        clock.shift(timedelta(days=31))
    elif ending == "file_closed":
        page = f"/cases/{referred.case_id}"
        client.post(f"{page}/close", data={"csrf_token": csrf_token(client, page), "reason": "needs_met"})
    assert other_client.get(address).status_code == 404
    assert other_client.post(f"{address}/accept", data={"form_token": "x"}).status_code == 404
    assert _status(referred) != ReferralStatus.ACCEPTED


def test_a_forged_or_cross_site_answer_changes_nothing(client, other_client, world, referred):
    login(client, world.cw_a)
    address = _address(_letter(client, referred))
    assert other_client.post(f"{address}/accept", data={"form_token": "forged"}).status_code == 422
    token = TOKEN.search(other_client.get(address).get_data(as_text=True)).group(1)
    cross = other_client.post(f"{address}/accept", data={"form_token": token},
                              headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403
    assert other_client.get("/partner/" + "A" * 43).status_code == 404
    assert _status(referred) == ReferralStatus.SENT


def test_only_the_sender_prints_a_letter_and_only_for_a_partner_outside_masar(client, world, referred):
    police_referral = consent_and_refer(world.cw_a, make_case(world.cw_a, full_name="Other Woman"),
                                        world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    login(client, world.cw_a)
    refused = _letter(client, police_referral)
    assert refused.status_code == 302
    assert "has accounts in Masar" in client.get(f"/referrals/{police_referral.id}").get_data(as_text=True)
    client.get("/logout")
    other = client.application.test_client()
    login(other, world.officer_police)
    assert other.post(f"/referrals/{referred.id}/partner-letter",
                      data={"csrf_token": csrf_token(other, "/"), "language": "fr"}).status_code in (403, 404)
    assert db.session.execute(select(PartnerLink)).first() is None


def test_two_answers_released_together_count_once(app, client, world, referred):
    login(client, world.cw_a)
    address = _address(_letter(client, referred))
    partners = [app.test_client() for _ in range(2)]
    tokens = [TOKEN.search(p.get(address).get_data(as_text=True)).group(1) for p in partners]
    results = race([lambda p=p, t=t: p.post(f"{address}/accept", data={"form_token": t}).status_code
                    for p, t in zip(partners, tokens, strict=True)])
    assert sorted(results) in ([302, 409], [302, 422])
    accepts = db.session.execute(select(ReferralEvent).where(ReferralEvent.action == "accept")).scalars().all()
    assert len(accepts) == 1
