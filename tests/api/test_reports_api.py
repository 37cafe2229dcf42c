"""Reports through the API (issue 17, part 5): a hotline app posts a caller's report and reads the
receipt to her; the associations of the region pull their queue (never what she wrote) and claim;
the same policy as the pages."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from referral.extensions import db
from referral.models import AuditEvent, PublicReport
from tests.api.conftest import assert_problem, bearer, token_for

NARRATIVE = "Her husband locks her in; the neighbours hear her at night"


def _report(world, **overrides) -> dict:
    return {"region_id": world.r1.id, "violence_type": "physical_assault", "reporter_role": "witness",
            "danger_now": False, "narrative": NARRATIVE, "contact": "0611223344"} | overrides


def _post(client, user, body):
    return client.post("/api/v1/reports", json=body, headers=bearer(token_for(user)))


def test_a_hotline_caseworker_posts_a_report_and_gets_the_receipt(client, world):
    response = _post(client, world.cw_a, _report(world))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["reference"].startswith("SIG-") and body["receipt_code"] and body["passphrase"]
    report = db.session.get(PublicReport, uuid.UUID(body["id"]))
    assert NARRATIVE.encode() not in report.narrative_ct and b"0611223344" not in report.contact_ct
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "report.submit")).scalar_one()


def test_a_report_without_its_account_names_the_field_and_stores_nothing(client, world):
    response = _post(client, world.cw_a, _report(world, narrative=""))
    problem = assert_problem(response, 422)
    assert [e["field"] for e in problem["errors"]] == ["narrative"]
    unknown = assert_problem(_post(client, world.cw_a, _report(world, region_id=999_999)), 422)
    assert [e["field"] for e in unknown["errors"]] == ["region_id"]
    assert db.session.scalar(select(func.count()).select_from(PublicReport)) == 0


def test_the_queue_is_the_regions_danger_first_and_never_says_what_she_wrote(client, world):
    from referral.models.vocab import AgencyKind, Role, ServiceCategory
    from tests.factories import make_agency, make_user

    _post(client, world.cw_a, _report(world))
    _post(client, world.cw_a, _report(world, danger_now=True))
    response = client.get("/api/v1/reports", headers=bearer(token_for(world.cw_a)))
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [i["danger_now"] for i in items] == [True, False]  # danger first
    text = response.get_data(as_text=True)
    assert NARRATIVE not in text and "0611223344" not in text
    # An association that covers only region two never sees region one's reports.
    far = make_user("cw.far", make_agency("ASSOC-FAR", AgencyKind.ASSOCIATION, world.r2,
                                          [ServiceCategory.PSYCHOSOCIAL]), Role.CASEWORKER)
    db.session.commit()
    assert client.get("/api/v1/reports", headers=bearer(token_for(far))).get_json()["items"] == []


def test_claiming_is_for_one_association_at_a_time(client, world):
    report_id = _post(client, world.cw_a, _report(world)).get_json()["id"]
    claimed = client.post(f"/api/v1/reports/{report_id}/claim", headers=bearer(token_for(world.cw_a)))
    assert claimed.status_code == 200 and claimed.get_json()["claimed_by_your_association"] is True
    again = client.post(f"/api/v1/reports/{report_id}/claim", headers=bearer(token_for(world.cw_b)))
    assert again.status_code in (403, 409)
    assert db.session.get(PublicReport, uuid.UUID(report_id)).claimed_agency_id == world.assoc_a.id


@pytest.mark.parametrize("who", ["officer_police", "coordinator", "auditor", "admin"])
def test_others_neither_post_nor_pull_nor_claim(client, world, who):
    report_id = _post(client, world.cw_a, _report(world)).get_json()["id"]
    token = token_for(getattr(world, who))
    assert _post(client, getattr(world, who), _report(world)).status_code == 403
    assert client.get("/api/v1/reports", headers=bearer(token)).status_code == 403
    assert client.post(f"/api/v1/reports/{report_id}/claim", headers=bearer(token)).status_code in (403, 404)
    assert db.session.scalar(select(func.count()).select_from(PublicReport)) == 1
    assert db.session.get(PublicReport, uuid.UUID(report_id)).claimed_agency_id is None


def test_the_reports_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"/api/v1/reports", "/api/v1/reports/{report_id}/claim"} <= set(paths)


@pytest.mark.slow
@pytest.mark.usefixtures("isolated_clients")
def test_two_associations_claiming_at_the_same_instant_one_wins(app, client, world):
    from referral.models.vocab import Role
    from tests.factories import make_user, race

    report_id = _post(client, world.cw_a, _report(world)).get_json()["id"]
    second = make_user("cw.b2", world.assoc_b, Role.CASEWORKER)  # assoc B covers region one too
    db.session.commit()
    tokens = [token_for(world.cw_a), token_for(second)]
    db.session.commit()

    def claim_with(token):
        def claim():
            return app.test_client().post(f"/api/v1/reports/{report_id}/claim", headers=bearer(token)).status_code
        return claim

    statuses = sorted(race([claim_with(t) for t in tokens]))
    # The loser is told it was taken (409), or, once the winner's claim is visible, that the report
    # is now another association's (403).
    assert statuses[0] == 200 and statuses[1] in (403, 409), statuses
    db.session.expire_all()
    claimed = db.session.get(PublicReport, uuid.UUID(report_id))
    assert claimed.claimed_agency_id in (world.assoc_a.id, world.assoc_b.id)
    events = db.session.execute(select(AuditEvent).where(AuditEvent.action == "report.claim")).scalars().all()
    assert len(events) == 1
