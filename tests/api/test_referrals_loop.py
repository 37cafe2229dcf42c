"""The whole referral loop through the API alone, and the ways it refuses."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from referral.extensions import db
from referral.models import AuditEvent, Case, Referral
from referral.models.vocab import ServiceCategory
from tests.api.conftest import assert_problem, bearer, error_fields, token_for

NEW_CASE = {
    "full_name": "Khadija Amrani",
    "phone": "0612345678",
    "national_id": "BK123456",
    "narrative": "Threatened at home.",
    "violence_type": "physical_assault",
    "age_band": "26-40",
    "violence_flags": ["economic"],
}


def _open_case(client, token, **overrides) -> dict:
    response = client.post("/api/v1/cases", json=NEW_CASE | overrides, headers=bearer(token))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def _fire(client, token, referral_id, action, etag=None, **fields):
    headers = bearer(token) | ({"If-Match": etag} if etag else {})
    return client.post(f"/api/v1/referrals/{referral_id}/transitions", json={"action": action, **fields},
                       headers=headers)


def test_the_whole_loop_through_the_api(client, world):
    cw, officer = token_for(world.cw_a), token_for(world.officer_police)
    police = world.service(world.police, ServiceCategory.POLICE_PROTECTION)

    case = _open_case(client, cw)
    assert case["case_number"].startswith("CAS-") and case["version"] == 1
    case_id = case["id"]

    consent = client.post(f"/api/v1/cases/{case_id}/consents", headers=bearer(cw),
                          json={"fields": ["name", "contact"], "agency_id": world.police.id})
    assert consent.status_code == 201, consent.get_data(as_text=True)

    answers = {"injury": True, "very_frightened": True}
    assessed = client.post(f"/api/v1/cases/{case_id}/risk-assessments", json={"answers": answers},
                           headers=bearer(cw))
    assert assessed.status_code == 201 and assessed.get_json()["score"] == 2

    sent = client.post(f"/api/v1/cases/{case_id}/referrals", headers=bearer(cw),
                       json={"service_id": police.id, "urgency": "urgent", "shared_fields": ["name", "contact"],
                             "message": "Needs protection tonight."})
    assert sent.status_code == 201, sent.get_data(as_text=True)
    referral_id = sent.get_json()["id"]
    assert sent.get_json()["status"] == "sent"

    inbox = client.get("/api/v1/referrals?box=inbox", headers=bearer(officer)).get_json()
    assert [r["id"] for r in inbox["items"]] == [referral_id]

    read = client.get(f"/api/v1/referrals/{referral_id}", headers=bearer(officer))
    assert read.status_code == 200
    body = read.get_json()
    # The officer sees what consent and the referral share: name and contact, not the narrative or ID.
    assert body["identity"]["full_name"] == "Khadija Amrani" and body["identity"]["phone"] == "0612345678"
    assert "narrative" not in body["identity"] and "national_id" not in body["identity"]
    assert body["message"] == "Needs protection tonight."
    assert set(body["actions"]) >= {"acknowledge", "accept", "decline"}
    etag = read.headers["ETag"]

    for action, extra in (("acknowledge", {}), ("accept", {}), ("start", {}),
                          ("complete", {"message": "Protection order obtained."})):
        response = _fire(client, officer, referral_id, action, etag, **extra)
        assert response.status_code == 200, (action, response.get_data(as_text=True))
        assert response.headers["ETag"] != etag
        etag = response.headers["ETag"]

    outcome = client.get(f"/api/v1/referrals/{referral_id}", headers=bearer(cw)).get_json()
    assert outcome["status"] == "completed" and outcome["relation"] == "sender"
    assert outcome["outcome"] == "Protection order obtained."
    assert [h["action"] for h in outcome["history"]] == ["send", "acknowledge", "accept", "start", "complete"]

    notes = client.get("/api/v1/notifications", headers=bearer(cw)).get_json()["items"]
    assert {n["kind"] for n in notes} >= {"referral.accept", "referral.complete"}
    assert all("Khadija" not in n["text"] for n in notes)

    # Every step was audited, by the token's user, with the token's short reference.
    events = db.session.execute(select(AuditEvent).where(AuditEvent.action == "referral.complete")).scalars().all()
    assert [e.actor_username for e in events] == ["officer.police"]
    assert events[0].session_ref


def test_declined_referral_comes_back_with_its_reason(client, world):
    cw, officer = token_for(world.cw_a), token_for(world.officer_police)
    case_id = _open_case(client, cw)["id"]
    client.post(f"/api/v1/cases/{case_id}/consents", headers=bearer(cw),
                json={"fields": [], "service_category": "police_protection"})
    police = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    referral_id = client.post(f"/api/v1/cases/{case_id}/referrals", headers=bearer(cw),
                              json={"service_id": police.id, "urgency": "standard"}).get_json()["id"]

    missing = _fire(client, officer, referral_id, "decline")
    assert error_fields(assert_problem(missing, 422, "invalid-input")) == ["reason"]
    declined = _fire(client, officer, referral_id, "decline", reason="no_capacity")
    assert declined.status_code == 200 and declined.get_json()["decline_reason"] == "no_capacity"

    back = client.get("/api/v1/referrals?box=outbox&state=back", headers=bearer(cw)).get_json()
    assert [r["id"] for r in back["items"]] == [referral_id]


def test_wrong_role_other_agency_and_out_of_scope(client, world):
    cw_a, cw_b = token_for(world.cw_a), token_for(world.cw_b)
    officer, hospital = token_for(world.officer_police), token_for(world.officer_hospital)
    auditor, coordinator = token_for(world.auditor), token_for(world.coordinator)
    case_id = _open_case(client, cw_a)["id"]

    # Officers do not open files; coordinators do not list them (403: the role lacks the action).
    assert_problem(client.post("/api/v1/cases", json=NEW_CASE, headers=bearer(officer)), 403, "forbidden")
    assert_problem(client.get("/api/v1/cases", headers=bearer(coordinator)), 403)
    # Another association's file, or a file never referred to you, does not exist for you (404).
    assert_problem(client.get(f"/api/v1/cases/{case_id}", headers=bearer(cw_b)), 404, "not-found")
    assert_problem(client.get(f"/api/v1/cases/{case_id}", headers=bearer(officer)), 404)
    assert_problem(client.get(f"/api/v1/cases/{case_id}", headers=bearer(auditor)), 404)
    assert_problem(client.patch(f"/api/v1/cases/{case_id}", json={"phone": "0611111111"}, headers=bearer(cw_b)),
                   404)
    # Other agencies' lists never show the file.
    assert client.get("/api/v1/cases", headers=bearer(cw_b)).get_json()["items"] == []

    police = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    client.post(f"/api/v1/cases/{case_id}/consents", headers=bearer(cw_a),
                json={"fields": ["name"], "agency_id": world.police.id})
    referral_id = client.post(f"/api/v1/cases/{case_id}/referrals", headers=bearer(cw_a),
                              json={"service_id": police.id, "urgency": "urgent",
                                    "shared_fields": ["name"]}).get_json()["id"]
    # The hospital was not the recipient: the referral does not exist for it.
    assert_problem(client.get(f"/api/v1/referrals/{referral_id}", headers=bearer(hospital)), 404)
    assert_problem(_fire(client, hospital, referral_id, "accept"), 404)
    # The sender may not fire the recipient's actions; the recipient may read but not edit the file.
    assert_problem(_fire(client, cw_a, referral_id, "accept"), 403, "forbidden")
    assert_problem(client.patch(f"/api/v1/cases/{case_id}", json={"phone": "0611111111"},
                                headers=bearer(officer)), 403)
    officer_view = client.get(f"/api/v1/cases/{case_id}", headers=bearer(officer)).get_json()
    assert officer_view["relation"] == "recipient" and set(officer_view["identity"]) == {"full_name"}
    # Coordinators see the referral's metadata, never the survivor's data.
    oversight = client.get(f"/api/v1/referrals/{referral_id}", headers=bearer(coordinator)).get_json()
    assert oversight["relation"] == "oversight" and oversight["identity"] == {} and oversight["message"] is None

    denials = db.session.execute(select(AuditEvent).where(AuditEvent.action == "access.denied")).scalars().all()
    assert {e.actor_username for e in denials} >= {"cw.b", "officer.police", "officer.hospital", "auditor"}


def test_stale_if_match_changes_nothing(client, world):
    cw, officer = token_for(world.cw_a), token_for(world.officer_police)
    case_id = _open_case(client, cw)["id"]
    read = client.get(f"/api/v1/cases/{case_id}", headers=bearer(cw))
    etag = read.headers["ETag"]
    assert client.patch(f"/api/v1/cases/{case_id}", json={"age_band": "41-60"},
                        headers=bearer(cw, **{"If-Match": etag})).status_code == 200
    stale = client.patch(f"/api/v1/cases/{case_id}", json={"age_band": "18-25", "phone": "0699999999"},
                         headers=bearer(cw, **{"If-Match": etag}))
    assert error_fields(assert_problem(stale, 412, "stale-version")) == ["If-Match"]
    again = client.get(f"/api/v1/cases/{case_id}", headers=bearer(cw)).get_json()
    assert again["age_band"] == "41-60" and again["identity"]["phone"] == "0612345678" and again["version"] == 2
    assert_problem(client.patch(f"/api/v1/cases/{case_id}", json={"age_band": "18-25"},
                                headers=bearer(cw, **{"If-Match": "garbage"})), 412)

    police = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    client.post(f"/api/v1/cases/{case_id}/consents", headers=bearer(cw),
                json={"fields": [], "agency_id": world.police.id})
    referral_id = client.post(f"/api/v1/cases/{case_id}/referrals", headers=bearer(cw),
                              json={"service_id": police.id, "urgency": "urgent"}).get_json()["id"]
    old = client.get(f"/api/v1/referrals/{referral_id}", headers=bearer(officer)).headers["ETag"]
    assert _fire(client, officer, referral_id, "acknowledge", old).status_code == 200
    assert_problem(_fire(client, officer, referral_id, "accept", old), 412, "stale-version")
    referral = db.session.get(Referral, uuid.UUID(referral_id))
    assert referral.status.value == "acknowledged"
    # Without If-Match the engine still refuses what the state no longer allows.
    assert_problem(_fire(client, officer, referral_id, "acknowledge"), 409, "invalid-transition")


def test_a_concurrent_writer_without_if_match_gets_409(client, world, monkeypatch):
    cw = token_for(world.cw_a)
    case_id = _open_case(client, cw)["id"]
    client.get("/api/v1/me", headers=bearer(cw))  # the token's last use is recorded: no write below

    from referral.api import cases as api_cases

    real_load = api_cases.load_case

    def load_then_someone_else_writes(*args, **kwargs):
        loaded = real_load(*args, **kwargs)
        with db.engine.begin() as other:  # another request commits between our read and our write
            other.execute(update(Case).where(Case.id == loaded[0].id).values(version=Case.version + 1))
        return loaded

    monkeypatch.setattr(api_cases, "load_case", load_then_someone_else_writes)
    response = client.patch(f"/api/v1/cases/{case_id}", json={"age_band": "41-60"}, headers=bearer(cw))
    assert_problem(response, 409, "concurrent-update")
    monkeypatch.undo()
    case = client.get(f"/api/v1/cases/{case_id}", headers=bearer(cw)).get_json()
    assert case["age_band"] == "26-40" and case["version"] == 2


def test_malformed_input_names_the_field(client, world):
    cw = token_for(world.cw_a)
    bad_phone = client.post("/api/v1/cases", json=NEW_CASE | {"phone": "not a phone"}, headers=bearer(cw))
    assert error_fields(assert_problem(bad_phone, 422, "invalid-input")) == ["phone"]
    unknown_value = client.post("/api/v1/cases", json=NEW_CASE | {"violence_type": "bad", "extra": 1},
                                headers=bearer(cw))
    assert set(error_fields(assert_problem(unknown_value, 422))) == {"violence_type", "extra"}
    no_name = client.post("/api/v1/cases", json={k: v for k, v in NEW_CASE.items() if k != "full_name"},
                          headers=bearer(cw))
    assert error_fields(assert_problem(no_name, 422)) == ["full_name"]
    nul = client.post("/api/v1/cases", json=NEW_CASE | {"full_name": "a\x00b"}, headers=bearer(cw))
    assert error_fields(assert_problem(nul, 422)) == ["full_name"]
    no_region = client.post("/api/v1/cases", json=NEW_CASE | {"region_id": 999999}, headers=bearer(cw))
    assert error_fields(assert_problem(no_region, 422)) == ["region_id"]
    not_json = client.post("/api/v1/cases", data="{", content_type="application/json", headers=bearer(cw))
    assert_problem(not_json, 400, "bad-request")

    case_id = _open_case(client, cw)["id"]
    no_consent = client.post(f"/api/v1/cases/{case_id}/referrals", headers=bearer(cw), json={
        "service_id": world.service(world.police, ServiceCategory.POLICE_PROTECTION).id, "urgency": "urgent"})
    assert error_fields(assert_problem(no_consent, 422)) == ["service_id"]
    unknown_service = client.post(f"/api/v1/cases/{case_id}/referrals", headers=bearer(cw),
                                  json={"service_id": 999999, "urgency": "urgent"})
    assert error_fields(assert_problem(unknown_service, 422)) == ["service_id"]
    bad_answer = client.post(f"/api/v1/cases/{case_id}/risk-assessments", headers=bearer(cw),
                             json={"answers": {"not_a_question": True}})
    assert error_fields(assert_problem(bad_answer, 422)) == ["answers.not_a_question.key"]
    assert db.session.execute(select(Referral)).first() is None  # nothing was created on the way
