"""Associations record anonymous cases themselves (issue 17, part 3): no identity at all, the
statistics fields only; it can be referred or an authority alerted without naming her."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from referral.extensions import db
from referral.models import AuditEvent, Case, Referral
from referral.models.vocab import ServiceCategory
from referral.services.cases import read_identity
from tests.factories import as_user, csrf_token, login

PATH = "/cases/anonymous/new"


def _record(client, **overrides):
    data = {"csrf_token": csrf_token(client, PATH), "region_id": "", "age_band": "18-25",
            "violence_type": "physical_assault", "perpetrator_relationship": "", "incident_date": "02/03/2027",
            "incident_place": "", "channel": "outreach"} | overrides
    return client.post(PATH, data=data)


def test_a_caseworker_records_an_anonymous_case_with_no_identity(client, world):
    login(client, world.cw_a)
    response = _record(client)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    case = db.session.execute(select(Case)).scalar_one()
    assert case.owner_agency_id == world.assoc_a.id and case.violence_type.value == "physical_assault"
    with as_user(world.cw_a):
        assert not any(read_identity(world.cw_a, case).values())
    db.session.rollback()  # the test's own read leaves no transaction open on the file
    actions = db.session.execute(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).scalars().all()
    assert "case.anonymous" in actions and "case.create" in actions
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert case.case_number in page


def test_an_authority_is_alerted_from_it_without_naming_her(client, world):
    login(client, world.cw_a)
    case_id = _record(client).headers["Location"].rsplit("/", 1)[1]
    service = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    path = f"/referrals/new/{case_id}?need=police_protection"
    sent = client.post(path, data={"csrf_token": csrf_token(client, path), "need": "police_protection",
                                   "service_id": service.id, "urgency": "urgent", "record_consent": "y",
                                   "message": "Reported by a neighbour; no contact with her"})
    assert sent.status_code == 302, sent.get_data(as_text=True)[:3000]
    referral = db.session.execute(select(Referral)).scalar_one()
    assert referral.shared_fields == [] and referral.to_agency_id == world.police.id


def test_a_refused_anonymous_case_keeps_what_was_typed_and_writes_nothing(client, world):
    login(client, world.cw_a)
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    refused = _record(client, incident_date="31/13/2027", violence_type="made_up")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'value="31/13/2027"' in html and 'id="error-summary"' in html
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


@pytest.mark.parametrize("who", ["officer_police", "coordinator", "auditor", "admin"])
def test_only_caseworkers_record_cases(client, world, who):
    login(client, getattr(world, who))
    assert client.get(PATH).status_code in (403, 404)
    response = client.post(PATH, data={"csrf_token": csrf_token(client, "/"), "violence_type": "rape"})
    assert response.status_code in (403, 404)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
