"""Her plan, follow-ups, messages and the closure through the API (issue 20, part 7): the same rules
as the file page; every refusal names its field or is a 403/404, and changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from referral.extensions import db
from referral.models import Case, CaseGoal, CaseTask, Consent, Note
from referral.models.vocab import CaseStatus, ServiceCategory
from referral.services.consents import withdraw_consent
from tests.api.conftest import assert_problem, bearer, error_fields, token_for
from tests.factories import as_user, consent_and_refer, make_case

GOAL = {"area": "legal", "goal": "File a complaint", "actions": ["Medical certificate", "Lawyer"],
        "target_on": "2027-06-30"}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_her_plan_through_the_api(client, world):
    case = make_case(world.cw_a)
    token = token_for(world.cw_a)
    created = client.post(f"/api/v1/cases/{case.id}/goals", json=GOAL, headers=bearer(token))
    assert created.status_code == 201, created.get_json()
    goal = created.get_json()
    assert goal["actions"] == ["Medical certificate", "Lawyer"] and goal["version"] == 1

    changed = client.put(f"/api/v1/cases/{case.id}/goals/{goal['id']}", json={**GOAL, "goal": "Changed",
                                                                              "version": 1}, headers=bearer(token))
    assert changed.status_code == 200 and changed.get_json()["version"] == 2
    stale = client.put(f"/api/v1/cases/{case.id}/goals/{goal['id']}", json={**GOAL, "goal": "Lost", "version": 1},
                       headers=bearer(token))
    assert_problem(stale, 412)

    body = assert_problem(client.post(f"/api/v1/cases/{case.id}/goals/{goal['id']}/close",
                                      json={"status": "dropped", "version": 2}, headers=bearer(token)), 422)
    assert error_fields(body) == ["note"]
    done = client.post(f"/api/v1/cases/{case.id}/goals/{goal['id']}/close",
                       json={"status": "achieved", "version": 2, "note": "Filed"}, headers=bearer(token))
    assert done.status_code == 200 and done.get_json()["status"] == "achieved"
    listed = client.get(f"/api/v1/cases/{case.id}/goals", headers=bearer(token)).get_json()["items"]
    assert [(g["goal"], g["status"], g["closing_note"]) for g in listed] == [("Changed", "achieved", "Filed")]

    other = make_case(world.cw_a, full_name="Another Woman")
    foreign = consent_and_refer(world.cw_a, other, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    body = assert_problem(client.post(f"/api/v1/cases/{case.id}/goals", json={
        **GOAL, "by_whom": "referral", "referral_id": str(foreign.id)}, headers=bearer(token)), 422)
    assert error_fields(body) == ["referral_id"]
    assert _count(CaseGoal) == 1


def test_recipients_and_other_associations_never_reach_the_plan_or_the_follow_ups(client, world):
    case = make_case(world.cw_a)
    consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    for who in ("officer_police", "cw_b", "coordinator", "admin"):
        token = token_for(getattr(world, who))
        for path in (f"/api/v1/cases/{case.id}/goals", f"/api/v1/cases/{case.id}/tasks"):
            assert client.get(path, headers=bearer(token)).status_code in (403, 404), (who, path)
        assert client.post(f"/api/v1/cases/{case.id}/goals", json=GOAL,
                           headers=bearer(token)).status_code in (403, 404), who
    assert _count(CaseGoal) == 0


def test_follow_ups_through_the_api(client, world):
    # An association on Tunis's clock (UTC+1 all year): her local time is not UTC, whatever the date
    # (Morocco has been on UTC+0 since 20 September 2026, tz 2026f).
    world.assoc_a.timezone = "Africa/Tunis"
    db.session.commit()
    case = make_case(world.cw_a)
    token = token_for(world.cw_a)
    body = assert_problem(client.post(f"/api/v1/cases/{case.id}/tasks", json={
        "kind": "accompany", "due_local": "2027-06-18T09:30", "assignee_id": world.cw_b.id}, headers=bearer(token)),
        422)
    assert error_fields(body) == ["assignee_id"]  # a caseworker of another association
    created = client.post(f"/api/v1/cases/{case.id}/tasks", json={
        "kind": "accompany", "due_local": "2027-06-18T09:30", "assignee_id": world.cw_a.id,
        "note": "Court hearing"}, headers=bearer(token))
    assert created.status_code == 201
    task = created.get_json()
    assert task["due_at"].startswith("2027-06-18T08:30")  # 09:30 in Tunis
    listed = client.get(f"/api/v1/cases/{case.id}/tasks", headers=bearer(token)).get_json()["items"]
    assert [t["note"] for t in listed] == ["Court hearing"]
    closed = client.post(f"/api/v1/cases/{case.id}/tasks/{task['id']}", json={"status": "done"},
                         headers=bearer(token))
    assert closed.status_code == 200 and closed.get_json()["status"] == "done"
    assert_problem(client.post(f"/api/v1/cases/{case.id}/tasks/{task['id']}", json={"status": "done"},
                               headers=bearer(token)), 422)
    assert _count(CaseTask) == 1


def test_messages_between_the_two_sides_end_with_consent(client, world):
    case = make_case(world.cw_a)
    referral = consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    sender, officer = token_for(world.cw_a), token_for(world.officer_police)
    posted = client.post(f"/api/v1/referrals/{referral.id}/messages", json={"body": "She can come at 10"},
                         headers=bearer(sender))
    assert posted.status_code == 201
    seen = client.get(f"/api/v1/referrals/{referral.id}/messages", headers=bearer(officer)).get_json()["items"]
    assert [(m["body"], m["from_your_agency"]) for m in seen] == [("She can come at 10", False)]
    assert client.post(f"/api/v1/referrals/{referral.id}/messages", json={"body": "Expected"},
                       headers=bearer(officer)).status_code == 201
    stranger = token_for(world.officer_hospital)
    assert client.get(f"/api/v1/referrals/{referral.id}/messages",
                      headers=bearer(stranger)).status_code in (403, 404)

    with as_user(world.cw_a):
        for consent in db.session.execute(select(Consent).where(Consent.case_id == case.id)).scalars():
            withdraw_consent(world.cw_a, case, consent)
        db.session.commit()
    assert client.get(f"/api/v1/referrals/{referral.id}/messages",
                      headers=bearer(officer)).get_json()["items"] == []
    before = _count(Note)
    assert client.post(f"/api/v1/referrals/{referral.id}/messages", json={"body": "After"},
                       headers=bearer(officer)).status_code in (403, 404)
    assert _count(Note) == before


def test_closing_her_file_through_the_api(client, world):
    case = make_case(world.cw_a)
    token = token_for(world.cw_a)
    client.post(f"/api/v1/cases/{case.id}/goals", json=GOAL, headers=bearer(token))
    db.session.expire_all()
    version = db.session.get(Case, case.id).version
    body = assert_problem(client.post(f"/api/v1/cases/{case.id}/close", json={
        "reason": "needs_met", "services_received": ["legal"], "version": version}, headers=bearer(token)), 422)
    assert error_fields(body) == ["comment"]
    assert_problem(client.post(f"/api/v1/cases/{case.id}/close", json={
        "reason": "needs_met", "comment": "Moved away", "version": version - 1}, headers=bearer(token)), 412)
    body = assert_problem(client.post(f"/api/v1/cases/{case.id}/close", json={
        "reason": "needs_met", "services_received": ["spa"], "version": version}, headers=bearer(token)), 422)
    assert error_fields(body) == ["services_received.0"]
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == CaseStatus.OPEN
    closed = client.post(f"/api/v1/cases/{case.id}/close", json={
        "reason": "needs_met", "services_received": ["legal", "psychosocial"], "comment": "Moved away",
        "version": version}, headers=bearer(token))
    assert closed.status_code == 200
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert stored.status == CaseStatus.CLOSED and stored.services_received == ["legal", "psychosocial"]
    assert client.post(f"/api/v1/cases/{case.id}/close", json={
        "reason": "needs_met", "version": stored.version}, headers=bearer(token_for(world.cw_b))).status_code in (403,
                                                                                                           404)
