"""The other resources: search, consents, risk, directory, notifications, metrics, the audit log."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from referral.extensions import db
from referral.models import AuditEvent
from referral.models.base import utcnow
from referral.models.vocab import ServiceCategory
from tests.api.conftest import assert_problem, bearer, error_fields, token_for
from tests.factories import chain_all, consent_and_refer, make_case


def test_search_by_blind_index_finds_only_the_associations_files(client, world):
    mine = make_case(world.cw_a, phone="0612345678")
    make_case(world.cw_b, phone="0612345678")
    cw_a, cw_b, officer = token_for(world.cw_a), token_for(world.cw_b), token_for(world.officer_police)
    found = client.post("/api/v1/cases/search", json={"column": "phone", "value": "+212 6 12 34 56 78"},
                        headers=bearer(cw_a))
    assert [r["id"] for r in found.get_json()["items"]] == [str(mine.id)]
    assert len(client.post("/api/v1/cases/search", json={"column": "phone", "value": "0612345678"},
                           headers=bearer(cw_b)).get_json()["items"]) == 1
    assert client.post("/api/v1/cases/search", json={"column": "full_name", "value": "Nobody"},
                       headers=bearer(cw_a)).get_json()["items"] == []
    bad = client.post("/api/v1/cases/search", json={"column": "phone", "value": "abc"}, headers=bearer(cw_a))
    assert error_fields(assert_problem(bad, 422)) == ["value"]
    assert_problem(client.post("/api/v1/cases/search", json={"column": "narrative", "value": "x"},
                               headers=bearer(cw_a)), 422)
    assert_problem(client.post("/api/v1/cases/search", json={"column": "phone", "value": "0612345678"},
                               headers=bearer(officer)), 403)
    searches = db.session.execute(select(AuditEvent).where(AuditEvent.action == "case.search")).scalars().all()
    assert searches and all("0612345678" not in str(e.details) for e in searches)


def test_list_filters_and_pages(client, world):
    for _ in range(26):
        make_case(world.cw_a)
    token = token_for(world.cw_a)
    first = client.get("/api/v1/cases", headers=bearer(token)).get_json()
    assert len(first["items"]) == 25 and first["next_page"] == 2 and first["items"][0]["full_name"]
    second = client.get("/api/v1/cases?page=2", headers=bearer(token)).get_json()
    assert len(second["items"]) == 1 and second["next_page"] is None
    assert client.get("/api/v1/cases?status=closed", headers=bearer(token)).get_json()["items"] == []
    assert client.get("/api/v1/cases?risk=high", headers=bearer(token)).get_json()["items"] == []


def test_consents_are_listed_and_withdrawn_by_the_owner_only(client, world):
    case = make_case(world.cw_a)
    cw, officer = token_for(world.cw_a), token_for(world.officer_police)
    consent = client.post(f"/api/v1/cases/{case.id}/consents", headers=bearer(cw),
                          json={"fields": ["name"], "service_category": "legal"}).get_json()
    both = client.post(f"/api/v1/cases/{case.id}/consents", headers=bearer(cw),
                       json={"fields": ["name"], "service_category": "legal", "agency_id": world.police.id})
    assert error_fields(assert_problem(both, 422)) == ["scope"]
    listed = client.get(f"/api/v1/cases/{case.id}/consents", headers=bearer(cw)).get_json()["items"]
    assert [c["id"] for c in listed] == [consent["id"]] and listed[0]["withdrawn_at"] is None
    assert_problem(client.get(f"/api/v1/cases/{case.id}/consents", headers=bearer(officer)), 404)
    withdrawn = client.post(f"/api/v1/cases/{case.id}/consents/{consent['id']}/withdraw", headers=bearer(cw))
    assert withdrawn.status_code == 200 and withdrawn.get_json()["withdrawn_at"]
    again = client.post(f"/api/v1/cases/{case.id}/consents/{consent['id']}/withdraw", headers=bearer(cw))
    assert error_fields(assert_problem(again, 422)) == ["consent"]
    other = make_case(world.cw_a)
    assert_problem(client.post(f"/api/v1/cases/{other.id}/consents/{consent['id']}/withdraw",
                               headers=bearer(cw)), 404)


def test_risk_questionnaire_and_assessment(client, world):
    case = make_case(world.cw_a)
    cw = token_for(world.cw_a)
    questionnaire = client.get("/api/v1/risk-questionnaire", headers=bearer(cw, **{"Accept-Language": "en"}))
    questions = questionnaire.get_json()["questions"]
    assert len(questions) == 24 and questionnaire.get_json()["high_threshold"] == 14
    answers = {q["id"]: True for q in questions[:14]}
    high = client.post(f"/api/v1/cases/{case.id}/risk-assessments", json={"answers": answers}, headers=bearer(cw))
    assert high.status_code == 201 and high.get_json()["level"] == "high"
    lowered = client.post(f"/api/v1/cases/{case.id}/risk-assessments", headers=bearer(cw),
                          json={"answers": answers, "judged_level": "standard", "judgement": "Calmer now"})
    assert lowered.get_json()["level"] == "high"  # judgement never lowers the computed level
    unexplained = client.post(f"/api/v1/cases/{case.id}/risk-assessments", headers=bearer(cw),
                              json={"answers": {}, "judged_level": "medium"})
    assert error_fields(assert_problem(unexplained, 422)) == ["judgement"]
    raised = client.post(f"/api/v1/cases/{case.id}/risk-assessments", headers=bearer(cw),
                         json={"answers": {}, "judged_level": "medium", "judgement": "Threats by phone"})
    assert raised.get_json()["level"] == "medium" and raised.get_json()["computed_level"] == "standard"
    history = client.get(f"/api/v1/cases/{case.id}/risk-assessments", headers=bearer(cw)).get_json()["items"]
    assert [a["level"] for a in history] == ["medium", "high", "high"]
    assert client.get(f"/api/v1/cases/{case.id}", headers=bearer(cw)).get_json()["risk_level"] == "medium"


def test_directory_filters_and_who_may_read_it(client, world):
    token = token_for(world.cw_a)
    legal = client.get("/api/v1/services?category=legal", headers=bearer(token, **{"Accept-Language": "fr"}))
    items = legal.get_json()["items"]
    assert [(s["agency"]["code"], s["category"]) for s in items] == [("ASSOC-B", "legal")]
    assert items[0]["name"] == "legal fr"
    in_r2 = client.get(f"/api/v1/services?region_id={world.r2.id}", headers=bearer(token)).get_json()["items"]
    assert {s["agency"]["code"] for s in in_r2} == {"HOSPITAL"}
    assert_problem(client.get("/api/v1/services", headers=bearer(token_for(world.auditor))), 403)


def test_notifications_are_the_callers_own(client, world):
    case = make_case(world.cw_a)
    consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    officer, other = token_for(world.officer_police), token_for(world.officer_hospital)
    items = client.get("/api/v1/notifications?unread=true", headers=bearer(officer)).get_json()["items"]
    assert [n["kind"] for n in items] == ["referral.send"] and items[0]["reference"].startswith("REF-")
    assert client.get("/api/v1/notifications", headers=bearer(other)).get_json()["items"] == []
    assert_problem(client.post(f"/api/v1/notifications/{items[0]['id']}/read", headers=bearer(other)), 404)
    read = client.post(f"/api/v1/notifications/{items[0]['id']}/read", headers=bearer(officer))
    assert read.status_code == 200 and read.get_json()["read_at"]
    assert client.get("/api/v1/notifications?unread=true", headers=bearer(officer)).get_json()["items"] == []


def test_coordinator_metrics_with_small_cells_suppressed(client, world):
    police = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    for _ in range(5):
        consent_and_refer(world.cw_a, make_case(world.cw_a), police)
    coordinator = token_for(world.coordinator)
    body = client.get("/api/v1/metrics/response-times?by=agency", headers=bearer(coordinator)).get_json()
    assert body["totals"]["sent"] == 5 and body["totals"]["suppressed"] is False
    assert [(g["key"], g["name"], g["sent"]) for g in body["groups"]] == [(world.police.id, "POLICE ar", 5)]
    by_urgency = client.get("/api/v1/metrics/response-times?by=urgency", headers=bearer(coordinator,
                                                                                        **{"Accept-Language": "en"}))
    assert [(g["key"], g["name"]) for g in by_urgency.get_json()["groups"]] == [("urgent", "Urgent")]
    # The regional coordinator of region two sees none of region one's referrals.
    regional = client.get("/api/v1/metrics/response-times", headers=bearer(token_for(world.regional_coordinator)))
    assert regional.get_json()["groups"] == []
    today = utcnow().date()
    backwards = client.get(f"/api/v1/metrics/response-times?date_from={today}&date_to={today - timedelta(days=1)}",
                           headers=bearer(coordinator))
    assert error_fields(assert_problem(backwards, 422)) == ["date_to"]
    too_long = client.get(f"/api/v1/metrics/response-times?date_from={today - timedelta(days=400)}",
                          headers=bearer(coordinator))
    assert error_fields(assert_problem(too_long, 422)) == ["date_from"]
    assert_problem(client.get("/api/v1/metrics/response-times", headers=bearer(token_for(world.cw_a))), 403)


def test_auditors_read_and_verify_the_log(client, world):
    make_case(world.cw_a)
    auditor = token_for(world.auditor)
    page = client.get("/api/v1/audit/events?action=case.", headers=bearer(auditor)).get_json()
    assert [e["action"] for e in page["items"]] == ["case.create"] and page["older_than"] is None
    assert page["items"][0]["actor_username"] == "cw.a" and page["items"][0]["fields"]
    assert page["items"][0]["chain_position"] is None  # written, not linked yet
    chain_all()
    verified = client.get("/api/v1/audit/verify", headers=bearer(auditor))
    assert verified.status_code == 200
    body = verified.get_json()
    assert body["valid"] is True and body["first_invalid_event"] is None and body["checked"] >= 1
    assert body["external_checkpoints"] == 0 and [f["kind"] for f in body["findings"]] == ["no_external_checkpoint"]
    for role in (world.cw_a, world.coordinator, world.admin):
        assert_problem(client.get("/api/v1/audit/verify", headers=bearer(token_for(role))), 403)
        assert_problem(client.get("/api/v1/audit/events", headers=bearer(token_for(role))), 403)
