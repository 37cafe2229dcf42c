"""Triage of public reports by the associations of the region: queue, claim, read, message,
open a file, alert an authority, close; another region never sees a report."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from referral.extensions import db
from referral.models import AuditEvent, Case, PublicReport, Referral
from referral.models.vocab import ReportStatus, ServiceCategory
from referral.services.public_reports import status_for_reporter
from tests.factories import csrf_token, login, make_agency, make_user
from tests.services.test_public_reports import NARRATIVE, submit


@pytest.fixture
def report(client, world) -> PublicReport:
    submit(client, world)
    return db.session.execute(select(PublicReport)).scalar_one()


@pytest.fixture
def far_caseworker(world):
    """A caseworker of an association of region two."""
    from referral.models.vocab import AgencyKind, Role

    assoc = make_agency("ASSOC-C", AgencyKind.ASSOCIATION, world.r2, [ServiceCategory.PSYCHOSOCIAL])
    user = make_user("cw.c", assoc, Role.CASEWORKER)
    db.session.commit()
    return user


def _post(client, path, data=None):
    return client.post(path, data={"csrf_token": csrf_token(client, "/reports")} | (data or {}))


def _events(action):
    return db.session.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars().all()


def test_the_queue_shows_danger_first_and_the_narrative_only_after_a_claim(client, world, report):
    login(client, world.cw_a)
    html = client.get("/reports").get_data(as_text=True)
    assert report.reference in html
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert NARRATIVE not in page
    assert _post(client, f"/reports/{report.id}/claim").status_code == 302
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert NARRATIVE in page and "0612345678" in page
    assert _events("report.claim") and set(_events("report.read")[-1].fields) >= {"narrative", "contact"}
    db.session.expire_all()
    assert status_for_reporter(report)["status"] == ReportStatus.IN_PROGRESS


def test_another_association_of_the_region_cannot_act_once_claimed(client, world, report, app):
    login(client, world.cw_a)
    _post(client, f"/reports/{report.id}/claim")
    other = app.test_client()
    login(other, world.cw_b)
    assert NARRATIVE not in other.get(f"/reports/{report.id}").get_data(as_text=True)
    assert _post(other, f"/reports/{report.id}/open-file").status_code == 403


def test_an_association_of_another_region_never_sees_it(client, world, report, far_caseworker):
    login(client, far_caseworker)
    assert report.reference not in client.get("/reports").get_data(as_text=True)
    assert client.get(f"/reports/{report.id}").status_code == 404
    assert _post(client, f"/reports/{report.id}/claim").status_code == 404
    denied = _events("access.denied")
    assert denied and denied[-1].object_id == str(report.id)
    db.session.expire_all()
    assert report.claimed_agency_id is None


def test_the_caseworker_messages_the_reporter_and_she_reads_it(client, world, report):
    login(client, world.cw_a)
    _post(client, f"/reports/{report.id}/claim")
    assert _post(client, f"/reports/{report.id}/message", {"text": "Call us on 5555 when safe."}).status_code == 302
    db.session.expire_all()
    view = status_for_reporter(report)
    assert [m["text"] for m in view["messages"]] == ["Call us on 5555 when safe."]


def test_opening_a_file_moves_what_she_wrote_into_an_encrypted_file(client, world, report):
    login(client, world.cw_a)
    _post(client, f"/reports/{report.id}/claim")
    response = _post(client, f"/reports/{report.id}/open-file")
    assert response.status_code == 302 and "/cases/" in response.headers["Location"]
    db.session.expire_all()
    case = db.session.get(Case, report.case_id)
    assert case.owner_agency_id == world.assoc_a.id and case.full_name_ct is None
    assert case.narrative_ct is not None and NARRATIVE.encode() not in case.narrative_ct
    assert _events("report.open_file") and _events("case.create")


def test_alerting_the_police_shares_only_what_she_agreed_to(client, world, report):
    login(client, world.cw_a)
    _post(client, f"/reports/{report.id}/claim")
    police = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    response = _post(client, f"/reports/{report.id}/alert", {"service_id": str(police.id)})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.session.expire_all()
    referral = db.session.get(Referral, report.referral_id)
    # She agreed to share what she wrote, not to be contacted by them.
    assert referral.shared_fields == ["narrative"] and referral.urgency.value == "emergency"
    assert referral.to_agency_id == world.police.id
    assert status_for_reporter(report)["status"] == ReportStatus.PASSED_TO_AUTHORITY
    assert _events("report.alert_authority")


def test_closing_needs_a_reason_and_is_audited(client, world, report):
    login(client, world.cw_a)
    _post(client, f"/reports/{report.id}/claim")
    assert _post(client, f"/reports/{report.id}/close", {"outcome": "bogus"}).status_code == 422
    assert _post(client, f"/reports/{report.id}/close", {"outcome": "not_actionable"}).status_code == 302
    db.session.expire_all()
    assert report.status == ReportStatus.CLOSED and report.outcome.value == "not_actionable"
    assert _events("report.close")[-1].details == {"outcome": "not_actionable"}


def test_recording_an_anonymous_case_keeps_no_identity(client, world, report):
    login(client, world.cw_a)
    _post(client, f"/reports/{report.id}/claim")
    assert _post(client, f"/reports/{report.id}/anonymous-case").status_code == 302
    db.session.expire_all()
    case = db.session.get(Case, report.case_id)
    assert case.narrative_ct is None and case.phone_ct is None and case.region_id == world.r1.id
    assert report.status == ReportStatus.CLOSED


def test_an_officer_has_no_queue(client, world, report):
    login(client, world.officer_police)
    assert client.get("/reports").status_code == 403
    assert client.get(f"/reports/{report.id}").status_code == 404
