"""Shelter places and stays through the API (issue 19, part 5), under the pages' policy: a woman
and her two children admitted from an accepted referral, the protocol's services, an extension
approved by a second person, the exit; places move with each step; the sender reads within her
consent; no address anywhere; refusals change nothing."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from referral.extensions import db
from referral.models import Consent, Stay
from referral.models.vocab import Role
from referral.services.consents import withdraw_consent
from tests.api.conftest import assert_problem, bearer, error_fields, token_for
from tests.clock import start_instant
from tests.factories import as_user, make_user
from tests.services.test_stays import _accepted, _shelter

#: The day the test's clock starts on (tests/clock.py), in Casablanca as the shelter counts it.
TODAY = start_instant().astimezone(ZoneInfo("Africa/Casablanca")).date().isoformat()


def _post(client, token, path, body=None):
    return client.post(path, json=body or {}, headers=bearer(token))


def test_a_stay_from_admission_to_exit_through_the_api(client, world):
    service = _shelter(world, beds=2, children=2)
    world.assoc_b.address = "Secret shelter street 3"
    db.session.commit()
    referral = _accepted(world, service)
    shelter_token, sender_token = token_for(world.cw_b), token_for(world.cw_a)
    today = TODAY

    capacity = client.get(f"/api/v1/shelters/{service.id}/capacity", headers=bearer(sender_token)).get_json()
    assert (capacity["beds_free"], capacity["child_places_free"]) == (2, 2)

    admitted = _post(client, shelter_token, f"/api/v1/referrals/{referral.id}/stay",
                     {"admitted_on": today, "children": 2})
    assert admitted.status_code == 201, admitted.get_json()
    stay = admitted.get_json()
    assert stay["view"] == "shelter" and stay["children"] == 2
    assert {d["code"] for d in stay["due"]} >= {"reception_listening", "children_schooling"}
    capacity = client.get(f"/api/v1/shelters/{service.id}/capacity", headers=bearer(shelter_token)).get_json()
    assert (capacity["beds_free"], capacity["child_places_free"]) == (1, 0)

    given = _post(client, shelter_token, f"/api/v1/stays/{stay['id']}/services",
                  {"code": "reception_listening", "given_on": today})
    assert given.status_code == 201 and given.get_json()["given"][0]["code"] == "reception_listening"

    asked = _post(client, shelter_token, f"/api/v1/stays/{stay['id']}/extensions", {"days": 15})
    extension_id = asked.get_json()["extensions"][0]["id"]
    own = _post(client, shelter_token, f"/api/v1/stays/{stay['id']}/extensions/{extension_id}/approve")
    assert own.status_code in (403, 422)  # never her own request
    colleague = make_user("cw.b2", world.assoc_b, Role.CASEWORKER)
    db.session.commit()
    approved = _post(client, token_for(colleague), f"/api/v1/stays/{stay['id']}/extensions/{extension_id}/approve")
    assert approved.status_code == 200 and approved.get_json()["extensions"][0]["status"] == "approved"

    sender = client.get(f"/api/v1/stays/{stay['id']}", headers=bearer(sender_token))
    body = sender.get_json()
    assert body["view"] == "sender" and body["within_consent"] and body["children"] == 2
    assert [g["code"] for g in body["given"]] == ["reception_listening"]
    assert "due" not in body or not body["due"]

    exited = _post(client, shelter_token, f"/api/v1/stays/{stay['id']}/exit",
                   {"exited_on": today, "destination": "family", "outcome": "goals_met"})
    assert exited.status_code == 200 and exited.get_json()["status"] == "exited"
    capacity = client.get(f"/api/v1/shelters/{service.id}/capacity", headers=bearer(shelter_token))
    assert (capacity.get_json()["beds_free"], capacity.get_json()["child_places_free"]) == (2, 2)
    for response in (capacity, sender, exited):
        assert "Secret shelter street" not in response.get_data(as_text=True)


def test_the_sender_reads_only_that_a_stay_exists_once_consent_is_withdrawn(client, world):
    service = _shelter(world)
    referral = _accepted(world, service)
    admitted = _post(client, token_for(world.cw_b), f"/api/v1/referrals/{referral.id}/stay",
                     {"admitted_on": TODAY, "children": 1})
    stay_id = admitted.get_json()["id"]
    with as_user(world.cw_a):
        for consent in db.session.execute(select(Consent).where(Consent.case_id == referral.case_id)).scalars():
            withdraw_consent(world.cw_a, referral.case, consent)
        db.session.commit()
    body = client.get(f"/api/v1/stays/{stay_id}", headers=bearer(token_for(world.cw_a))).get_json()
    assert body["within_consent"] is False and body["children"] is None and body["given"] == []


def test_strangers_to_the_stay_are_refused_and_nothing_moves(client, world):
    service = _shelter(world)
    referral = _accepted(world, service)
    today = TODAY
    # The sender may not admit; another association's caseworker does not see the referral.
    assert _post(client, token_for(world.cw_a), f"/api/v1/referrals/{referral.id}/stay",
                 {"admitted_on": today}).status_code in (403, 404)
    outsider = make_user("cw.c", world.police, Role.OFFICER)
    db.session.commit()
    assert _post(client, token_for(outsider), f"/api/v1/referrals/{referral.id}/stay",
                 {"admitted_on": today}).status_code in (403, 404)
    assert db.session.scalar(select(func.count()).select_from(Stay)) == 0

    stay_id = _post(client, token_for(world.cw_b), f"/api/v1/referrals/{referral.id}/stay",
                    {"admitted_on": today}).get_json()["id"]
    for who in (outsider, world.coordinator, world.admin):
        assert _post(client, token_for(who), f"/api/v1/stays/{stay_id}/exit",
                     {"exited_on": today, "destination": "family", "outcome": "goals_met"}).status_code in (403, 404)
    assert client.get(f"/api/v1/stays/{stay_id}", headers=bearer(token_for(world.coordinator))).status_code in (403,
                                                                                                               404)
    assert db.session.get(Stay, stay_id).status == "in_shelter"
    # The admin manages the directory but never sees places.
    assert_problem(client.get(f"/api/v1/shelters/{service.id}/capacity", headers=bearer(token_for(world.admin))),
                   403)


def test_bad_input_names_the_field_and_changes_nothing(client, world):
    service = _shelter(world, beds=1, children=0)
    referral = _accepted(world, service)
    token = token_for(world.cw_b)
    body = assert_problem(_post(client, token, f"/api/v1/referrals/{referral.id}/stay",
                                {"admitted_on": TODAY, "children": 2}), 422)
    assert error_fields(body) == ["children"]  # no place for two children
    body = assert_problem(_post(client, token, f"/api/v1/referrals/{referral.id}/stay",
                                {"admitted_on": "2999-01-01"}), 422)
    assert error_fields(body) == ["admitted_on"]
    body = assert_problem(_post(client, token, f"/api/v1/referrals/{referral.id}/stay", {"children": -1}), 422)
    assert set(error_fields(body)) >= {"admitted_on", "children"}
    assert db.session.scalar(select(func.count()).select_from(Stay)) == 0
    capacity = client.get(f"/api/v1/shelters/{service.id}/capacity", headers=bearer(token)).get_json()
    assert capacity["beds_free"] == 1


def test_directory_managers_declare_places_and_coordinators_read_occupancy(client, world):
    service = _shelter(world, beds=2)
    referral = _accepted(world, service)
    _post(client, token_for(world.cw_b), f"/api/v1/referrals/{referral.id}/stay",
          {"admitted_on": TODAY})
    token = token_for(world.coordinator)
    below = client.put(f"/api/v1/shelters/{service.id}/capacity", headers=bearer(token),
                       json={"beds": 0, "child_places": 0, "accessible_rooms": 0, "max_stay_days": 30})
    assert_problem(below, 422)
    ok = client.put(f"/api/v1/shelters/{service.id}/capacity", headers=bearer(token),
                    json={"beds": 5, "child_places": 2, "accessible_rooms": 1, "max_stay_days": 60})
    assert ok.status_code == 200 and ok.get_json()["beds_free"] == 4
    assert_problem(client.put(f"/api/v1/shelters/{service.id}/capacity", headers=bearer(token_for(world.cw_b)),
                              json={"beds": 50, "child_places": 2, "accessible_rooms": 1, "max_stay_days": 60}),
                   403)
    rows = client.get("/api/v1/shelters/occupancy", headers=bearer(token)).get_json()["items"]
    assert [(r["agency_code"], r["beds"], r["in_shelter"]) for r in rows] == [("ASSOC-B", 5, 1)]
    assert_problem(client.get("/api/v1/shelters/occupancy", headers=bearer(token_for(world.cw_b))), 403)
