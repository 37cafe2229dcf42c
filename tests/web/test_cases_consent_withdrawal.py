"""Withdrawing a consent is confirmed on a page that says what each agency sees now and afterwards."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from referral.extensions import db
from referral.models import AuditEvent, Consent
from referral.models.vocab import ServiceCategory
from referral.services.consents import record_consent
from tests.factories import as_user, consent_and_refer, csrf_token, login, make_case


def english(client) -> None:
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client, "/")})


@pytest.fixture
def referred(world):
    """A file referred to the police (name and contact) and to association B (name, under its own
    consent): withdrawing the police consent cuts the police only."""
    case = make_case(world.cw_a)
    to_police = consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    to_b = consent_and_refer(world.cw_a, case, world.service(world.assoc_b, ServiceCategory.LEGAL), fields=("name",))
    police_consent = db.session.execute(select(Consent).where(Consent.case_id == case.id,
                                                              Consent.agency_id == world.police.id)).scalar_one()
    return case, to_police, to_b, police_consent


def test_the_page_says_what_each_agency_sees_now_and_after_and_changes_nothing(client, world, referred):
    case, to_police, to_b, consent = referred
    login(client, world.cw_a)
    english(client)
    file_page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    url = f"/cases/{case.id}/consents/{consent.id}/withdraw"
    assert f'href="{url}"' in file_page  # a link to the confirmation, not a one-click form

    page = client.get(url).get_data(as_text=True)
    police_row = page.split(to_police.reference)[1].split("</tr>")[0]
    b_row = page.split(to_b.reference)[1].split("</tr>")[0]
    assert "Phone, address and safe contact instructions" in police_row
    assert "Nothing: no consent covers this referral any more" in police_row
    assert "No change" in b_row
    assert "cannot be undone" in page
    db.session.expire_all()
    assert db.session.get(Consent, consent.id).withdrawn_at is None  # looking changes nothing
    assert not db.session.execute(select(AuditEvent).where(AuditEvent.action == "consent.withdraw")).first()

    response = client.post(url, data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302 and response.headers["Location"].endswith("#consent")
    db.session.expire_all()
    assert db.session.get(Consent, consent.id).withdrawn_at is not None
    # Withdrawn: the confirmation page is gone, the file page shows what the police sees now.
    assert client.get(url).status_code == 302
    row = client.get(f"/cases/{case.id}").get_data(as_text=True).split(to_police.reference)[1].split("</tr>")[0]
    assert "Nothing: no consent covers this referral any more" in row


def test_a_consent_with_no_referral_yet_says_so(client, world):
    case = make_case(world.cw_a)
    with as_user(world.cw_a):
        consent = record_consent(world.cw_a, case, fields=["name"], agency_id=world.police.id)
        db.session.commit()
    login(client, world.cw_a)
    english(client)
    page = client.get(f"/cases/{case.id}/consents/{consent.id}/withdraw").get_data(as_text=True)
    assert "No referral was sent yet" in page


@pytest.mark.parametrize(("who", "status"), [("cw_b", 403), ("officer_police", 403), ("coordinator", 404),
                                             ("officer_hospital", 404)])
def test_only_the_owning_association_opens_the_confirmation(client, world, referred, who, status):
    case, _to_police, _to_b, consent = referred
    login(client, getattr(world, who))
    assert client.get(f"/cases/{case.id}/consents/{consent.id}/withdraw").status_code == status
    denied = db.session.execute(select(AuditEvent).where(AuditEvent.action == "access.denied")).scalars().all()
    assert denied and denied[-1].details["action"] == "case:consent"


def test_a_consent_of_another_file_is_not_found(client, world, referred):
    case, _to_police, _to_b, consent = referred
    other = make_case(world.cw_a, phone="0612000000")
    login(client, world.cw_a)
    assert client.get(f"/cases/{other.id}/consents/{consent.id}/withdraw").status_code == 404
