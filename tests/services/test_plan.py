"""Her plan (issue 20, part 1) and the closure with its outcome (part 6): goals agreed with her,
encrypted and versioned, written and read by her association only; a referral serves a goal;
closing the file records what she received and explains the goals still open."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from referral.extensions import db
from referral.models import AuditEvent, Case, CaseGoal, Referral
from referral.models.vocab import CaseStatus, ServiceCategory
from referral.services import plan
from referral.services.erasure import shred_case
from referral.services.errors import InputError
from referral.workflows.engine import fire
from tests.factories import as_user, consent_and_refer, csrf_token, login, make_case

GOAL = {"area": "legal", "goal": "File a complaint against her husband", "actions": "Medical certificate\nLawyer",
        "by_whom": "association", "target_on": "30/06/2027"}


def _page(case) -> str:
    return f"/cases/{case.id}"


def _add(client, case, **fields):
    data = {**GOAL, **fields, "csrf_token": csrf_token(client, _page(case))}
    return client.post(f"/cases/{case.id}/goals", data=data)


def _goals(case) -> list[CaseGoal]:
    db.session.expire_all()
    return db.session.execute(select(CaseGoal).where(CaseGoal.case_id == case.id)
                              .order_by(CaseGoal.created_at)).scalars().all()


def _english(world):
    world.cw_a.locale = "en"
    db.session.commit()


def test_a_goal_agreed_with_her_is_on_her_file_and_sealed(client, world):
    _english(world)
    case = make_case(world.cw_a)
    login(client, world.cw_a)
    response = _add(client, case)
    assert response.status_code == 302
    [goal] = _goals(case)
    assert goal.status == "open" and goal.version == 1 and goal.target_on.isoformat() == "2027-06-30"
    assert b"complaint" not in goal.goal_ct and b"Lawyer" not in (goal.actions_ct or b"")
    html = client.get(_page(case)).get_data(as_text=True)
    assert "File a complaint against her husband" in html and "<li dir=\"auto\">Lawyer</li>" in html
    assert "Goal added to her plan" in client.get(f"/cases/{case.id}/timeline").get_data(as_text=True)
    actions = db.session.execute(select(AuditEvent.action).where(AuditEvent.action.like("plan.%"))).scalars().all()
    assert "plan.goal_add" in actions and "plan.read" in actions


def test_a_goal_served_by_a_referral_names_one_of_her_own_referrals(client, world):
    case = make_case(world.cw_a)
    other = make_case(world.cw_a, full_name="Another Woman")
    police = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    referral = consent_and_refer(world.cw_a, case, police)
    foreign = consent_and_refer(world.cw_a, other, police)
    login(client, world.cw_a)
    assert _add(client, case, by_whom="referral", referral_id="").status_code == 422
    # Another file's referral is not in the list she may choose from.
    assert _add(client, case, by_whom="referral", referral_id=str(foreign.id)).status_code == 422
    with as_user(world.cw_a), pytest.raises(InputError) as refused:
        plan.add_goal(world.cw_a, case, {**GOAL, "target_on": None, "by_whom": "referral", "referral_id": foreign.id})
    assert refused.value.field == "referral_id"
    db.session.rollback()
    assert _goals(case) == []
    assert _add(client, case, by_whom="referral", referral_id=str(referral.id)).status_code == 302
    assert _goals(case)[0].referral_id == referral.id
    assert referral.reference in client.get(_page(case)).get_data(as_text=True)


def test_recipients_and_other_associations_never_see_or_touch_the_plan(client, other_client, world):
    case = make_case(world.cw_a)
    consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    with as_user(world.cw_a):
        goal = plan.add_goal(world.cw_a, case, {**GOAL, "target_on": None})
        db.session.commit()
    login(other_client, world.officer_police)
    html = other_client.get(_page(case)).get_data(as_text=True)
    assert "File a complaint" not in html and 'id="plan"' not in html
    history = other_client.get(f"/cases/{case.id}/timeline").get_data(as_text=True)
    assert "Goal added" not in history and "هدف" not in history  # not even on the timeline
    token = csrf_token(other_client, _page(case))
    assert other_client.post(f"/cases/{case.id}/goals", data={**GOAL, "csrf_token": token}).status_code in (403, 404)
    assert other_client.post(f"/cases/{case.id}/goals/{goal.id}/achieved",
                             data={"csrf_token": token, "version": "1"}).status_code in (403, 404)
    login(client, world.cw_b)
    assert client.get(f"/cases/{case.id}/goals/{goal.id}").status_code == 404
    assert [(g.status, g.version) for g in _goals(case)] == [("open", 1)]


def test_an_edit_made_on_an_older_version_is_refused_and_keeps_her_text(client, world):
    case = make_case(world.cw_a)
    with as_user(world.cw_a):
        goal = plan.add_goal(world.cw_a, case, {**GOAL, "target_on": None})
        plan.update_goal(world.cw_a, case, goal.id, {**GOAL, "goal": "Changed by a colleague", "target_on": None},
                         expected_version=1)
        db.session.commit()
    login(client, world.cw_a)
    page = f"/cases/{case.id}/goals/{goal.id}"
    response = client.post(page, data={**GOAL, "goal": "My typed goal", "version": "1",
                                       "csrf_token": csrf_token(client, page)})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "My typed goal" in html and 'value="2"' in html
    [stored] = _goals(case)
    assert stored.version == 2
    with as_user(world.cw_a):
        assert plan.goals_of_case(world.cw_a, case)[0].text == "Changed by a colleague"


def test_a_goal_is_achieved_or_dropped_with_a_reason(client, world):
    case = make_case(world.cw_a)
    with as_user(world.cw_a):
        first = plan.add_goal(world.cw_a, case, {**GOAL, "target_on": None})
        second = plan.add_goal(world.cw_a, case, {**GOAL, "area": "economic", "target_on": None})
        db.session.commit()
    login(client, world.cw_a)
    token = csrf_token(client, _page(case))
    refused = client.post(f"/cases/{case.id}/goals/{second.id}/dropped", data={"csrf_token": token, "version": "1"})
    assert refused.status_code == 302 and _goals(case)[1].status == "open"
    assert client.post(f"/cases/{case.id}/goals/{first.id}/achieved",
                       data={"csrf_token": token, "version": "1", "note": "Complaint filed"}).status_code == 302
    assert client.post(f"/cases/{case.id}/goals/{second.id}/dropped",
                       data={"csrf_token": token, "version": "1", "note": "She found work"}).status_code == 302
    assert [(g.status, g.version) for g in _goals(case)] == [("achieved", 2), ("dropped", 2)]
    # A second press on the same version changes nothing.
    again = client.post(f"/cases/{case.id}/goals/{first.id}/dropped",
                        data={"csrf_token": token, "version": "1", "note": "x"})
    assert again.status_code == 302 and _goals(case)[0].status == "achieved"


def test_closing_with_open_goals_needs_an_explanation_and_records_what_she_received(client, world):
    _english(world)
    case = make_case(world.cw_a)
    police = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    referral = consent_and_refer(world.cw_a, case, police)
    with as_user(world.officer_police):
        for action in ("acknowledge", "accept", "start"):
            fire(db.session.get(Referral, referral.id), action, world.officer_police)
        fire(db.session.get(Referral, referral.id), "complete", world.officer_police, message="Done")
        db.session.commit()
    with as_user(world.cw_a):
        plan.add_goal(world.cw_a, case, {**GOAL, "target_on": None})
        db.session.commit()
    login(client, world.cw_a)
    html = client.get(f"/cases/{case.id}/forms/close").get_data(as_text=True)  # one click away
    ticked = ('<input checked id="services_received-3" name="services_received" type="checkbox" '
              'value="police_protection">')
    assert ticked in html  # her completed referral's service

    token = csrf_token(client, _page(case))
    refused = client.post(f"/cases/{case.id}/close", data={"csrf_token": token, "reason": "needs_met",
                                                             "services_received": ["police_protection"]})
    assert refused.status_code == 422
    assert "still has open goals" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == CaseStatus.OPEN and _goals(case)[0].status == "open"

    closed = client.post(f"/cases/{case.id}/close", data={
        "csrf_token": token, "reason": "needs_met", "services_received": ["police_protection", "legal"],
        "comment": "She moved to another city"})
    assert closed.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert stored.status == CaseStatus.CLOSED and stored.services_received == ["legal", "police_protection"]
    assert _goals(case)[0].status == "dropped"
    with as_user(world.cw_a):
        assert plan.goals_of_case(world.cw_a, stored)[0].closing_note == "She moved to another city"
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "case.close")).scalar_one()
    assert event.details["goals_dropped"] == 1 and event.details["services_received"] == ["legal",
                                                                                          "police_protection"]


def test_an_unknown_service_received_is_refused(client, world):
    case = make_case(world.cw_a)
    login(client, world.cw_a)
    response = client.post(f"/cases/{case.id}/close", data={"csrf_token": csrf_token(client, _page(case)),
                                                            "reason": "needs_met", "services_received": ["spa"]})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == CaseStatus.OPEN


def test_erasure_takes_the_plan_with_it(world):
    case = make_case(world.cw_a)
    with as_user(world.cw_a):
        plan.add_goal(world.cw_a, case, {**GOAL, "target_on": None})
        db.session.commit()
    shred_case(case.case_number)
    db.session.commit()
    with as_user(world.cw_a):
        views = plan.goals_of_case(world.cw_a, db.session.get(Case, case.id))
    assert [v.text for v in views] == [None]
