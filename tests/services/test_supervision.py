"""Supervisor approvals of casework (issue 20, part 3): an association puts closing a file and her
plan under its supervisor's approval; the supervisor is a lead of the association and never the
person who asked; the file stays usable while it waits; a return carries comments; nobody outside
the association sees any of it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from referral.extensions import db
from referral.models import AuditEvent, Case, CaseworkApproval, Notification, UserRole
from referral.models.vocab import ApprovalStatus, CaseStatus, Role, ServiceCategory
from referral.services import plan, supervision
from tests.api.conftest import bearer, token_for
from tests.factories import as_user, consent_and_refer, csrf_token, login, make_case, make_user

GOAL = {"area": "legal", "goal": "File a complaint", "by_whom": "association"}


@pytest.fixture
def supervised(world):
    lead = make_user("lead.a", world.assoc_a, Role.CASEWORKER, Role.LEAD)
    for user in (world.cw_a, lead):
        user.locale = "en"
    db.session.commit()
    with as_user(lead):
        supervision.set_steps(lead, ["case_close", "case_plan"])
        db.session.commit()
    return lead


def _page(case):
    return f"/cases/{case.id}"


def _page_and_history(client, case) -> str:
    """The file page and its timeline (read when she opens it)."""
    history = client.get(f"/cases/{case.id}/timeline").get_data(as_text=True)
    return client.get(_page(case)).get_data(as_text=True) + history


def _ask_to_close(client, case, **fields):
    data = {"reason": "needs_met", "services_received": ["legal"], "comment": "", **fields,
            "csrf_token": csrf_token(client, _page(case))}
    return client.post(f"/cases/{case.id}/close", data=data)


def _approvals(case) -> list[CaseworkApproval]:
    db.session.expire_all()
    return db.session.execute(select(CaseworkApproval).where(CaseworkApproval.case_id == case.id)
                              .order_by(CaseworkApproval.id)).scalars().all()


def _decide(client, approval, decision, comment=""):
    page = f"/cases/{approval.case_id}"
    return client.post(f"/supervision/{approval.id}/{decision}",
                       data={"csrf_token": csrf_token(client, page), "comment": comment})


def test_a_closure_waits_for_the_supervisor_and_the_file_stays_usable(client, other_client, world, supervised):
    case = make_case(world.cw_a)
    login(client, world.cw_a)
    assert _ask_to_close(client, case).status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == CaseStatus.OPEN
    [approval] = _approvals(case)
    assert approval.status == ApprovalStatus.PENDING and approval.payload == {"reason": "needs_met",
                                                                              "services_received": ["legal"]}
    html = _page_and_history(client, case)
    assert "Waiting for a supervisor" in html and "Closure sent to the supervisor" in html
    # Still usable: a goal can be added while it waits.
    assert client.post(f"/cases/{case.id}/goals", data={**GOAL, "csrf_token": csrf_token(client, _page(case))}
                       ).status_code == 302
    # A second request is refused, and so is closing through the API without approval.
    assert _ask_to_close(client, case, comment="Again").status_code == 422
    told = db.session.execute(select(Notification).where(Notification.kind == "supervision.requested")).scalars().all()
    assert [n.user_id for n in told] == [supervised.id]

    login(other_client, supervised)
    assert "Casework approvals" in other_client.get("/").get_data(as_text=True)
    assert case.case_number in other_client.get("/supervision").get_data(as_text=True)
    # The goal added meanwhile is still open and her request said nothing of it: not closed yet.
    assert _decide(other_client, approval, "approve").status_code == 302
    assert _approvals(case)[0].status == ApprovalStatus.PENDING
    goal = plan.goals_of_case(world.cw_a, db.session.get(Case, case.id))[0].goal
    client.post(f"/cases/{case.id}/goals/{goal.id}/achieved",
                data={"csrf_token": csrf_token(client, _page(case)), "version": str(goal.version)})
    assert _decide(other_client, approval, "approve").status_code == 302
    db.session.expire_all()
    closed = db.session.get(Case, case.id)
    assert closed.status == CaseStatus.CLOSED and closed.services_received == ["legal"]
    assert _approvals(case)[0].status == ApprovalStatus.APPROVED
    assert db.session.execute(select(Notification).where(Notification.kind == "supervision.decided",
                                                         Notification.user_id == world.cw_a.id)).first()


def test_a_return_needs_comments_and_brings_them_back_to_her(client, other_client, world, supervised):
    case = make_case(world.cw_a)
    login(client, world.cw_a)
    _ask_to_close(client, case)
    [approval] = _approvals(case)
    login(other_client, supervised)
    assert _decide(other_client, approval, "return").status_code == 302  # without a word: refused
    assert _approvals(case)[0].status == ApprovalStatus.PENDING
    assert _decide(other_client, approval, "return", "Call her once more first").status_code == 302
    assert _approvals(case)[0].status == ApprovalStatus.REFUSED
    html = _page_and_history(client, case)
    assert "Call her once more first" in html and "Closure returned by the supervisor" in html
    assert b"Call her once more" not in _approvals(case)[0].decision_comment_ct
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == CaseStatus.OPEN
    assert _ask_to_close(client, case).status_code == 302  # she may ask again


def test_nobody_decides_her_own_request_nor_another_association_s(client, world, supervised):
    make_user("lead.a2", world.assoc_a, Role.CASEWORKER, Role.LEAD)  # the one her request goes to
    case = make_case(world.cw_a)
    with as_user(supervised):
        approval = supervision.request_closure(supervised, case, "needs_met", None, [])
        db.session.commit()
    login(client, supervised)
    assert _decide(client, approval, "approve").status_code == 403  # a second person decides
    client.get("/logout")
    other = client.application.test_client()
    lead_b = make_user("lead.b", world.assoc_b, Role.CASEWORKER, Role.LEAD)
    db.session.commit()
    login(other, lead_b)
    assert _decide(other, approval, "approve").status_code == 404
    third = client.application.test_client()
    login(third, world.cw_a)  # a colleague, not a lead
    assert _decide(third, approval, "approve").status_code == 403
    assert _approvals(case)[0].status == ApprovalStatus.PENDING
    denied = db.session.execute(select(AuditEvent).where(AuditEvent.action == "access.denied")).scalars().all()
    assert len(denied) >= 3


def test_her_plan_is_approved_as_it_was_sent(client, other_client, world, supervised):
    case = make_case(world.cw_a)
    login(client, world.cw_a)
    token = csrf_token(client, _page(case))
    assert client.post(f"/cases/{case.id}/plan/approval", data={"csrf_token": token}).status_code == 302
    assert _approvals(case) == []  # no goal: nothing to approve
    with as_user(world.cw_a):
        goal = plan.add_goal(world.cw_a, case, GOAL)
        db.session.commit()
    assert client.post(f"/cases/{case.id}/plan/approval", data={"csrf_token": token}).status_code == 302
    [approval] = _approvals(case)
    with as_user(world.cw_a):
        plan.update_goal(world.cw_a, case, goal.id, {**GOAL, "goal": "Changed after sending"}, expected_version=1)
        db.session.commit()
    login(other_client, supervised)
    assert _decide(other_client, approval, "approve").status_code == 302
    assert _approvals(case)[0].status == ApprovalStatus.PENDING  # she approves what was sent, or returns it
    assert _decide(other_client, approval, "return", "Send it again").status_code == 302
    assert client.post(f"/cases/{case.id}/plan/approval", data={"csrf_token": token}).status_code == 302
    assert _decide(other_client, _approvals(case)[1], "approve").status_code == 302
    assert _approvals(case)[1].status == ApprovalStatus.APPROVED
    assert "Plan approved by the supervisor" in _page_and_history(client, case)


def test_recipients_see_nothing_of_the_association_s_approvals(client, world, supervised):
    case = make_case(world.cw_a)
    consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    with as_user(world.cw_a):
        supervision.request_closure(world.cw_a, case, "needs_met", "She moved", [])
        db.session.commit()
    login(client, world.officer_police)
    html = _page_and_history(client, case)
    assert 'id="approvals"' not in html and "She moved" not in html and "supervisor" not in html.lower()


def test_only_a_lead_chooses_the_steps(client, world, supervised):
    login(client, world.cw_a)
    assert client.get("/supervision/steps").status_code == 403
    assert client.post("/supervision/steps", data={"csrf_token": csrf_token(client, "/"),
                                                   "steps": []}).status_code == 403
    assert supervision.steps_of(world.assoc_a.id) == {"case_close", "case_plan"}
    actions = db.session.execute(select(AuditEvent.action).where(AuditEvent.action == "supervision.steps")
                                 ).scalars().all()
    assert actions == ["supervision.steps"]


def test_the_api_sends_the_closure_for_approval(client, world, supervised):
    case = make_case(world.cw_a)
    response = client.post(f"/api/v1/cases/{case.id}/close", json={"reason": "needs_met", "version": case.version},
                           headers=bearer(token_for(world.cw_a)))
    assert response.status_code == 202 and response.get_json()["status"] == "open"
    assert [a.status for a in _approvals(case)] == [ApprovalStatus.PENDING]


def test_without_another_lead_the_request_is_refused_with_a_reason(client, world):
    case = make_case(world.cw_a)
    world.cw_a.role_rows.append(UserRole(role=Role.LEAD))  # she is the only lead
    db.session.commit()
    with as_user(world.cw_a):
        supervision.set_steps(world.cw_a, ["case_close"])
        db.session.commit()
    world.cw_a.locale = "en"
    db.session.commit()
    login(client, world.cw_a)
    response = _ask_to_close(client, case)
    assert response.status_code == 422 and "no other lead" in response.get_data(as_text=True)


def _ask_to_erase(client, case, confirm=True):
    data = {"csrf_token": csrf_token(client, _page(case))}
    if confirm:
        data["confirm"] = "y"
    return client.post(f"/cases/{case.id}/erasure", data=data)


def test_an_erasure_she_asks_for_goes_through_the_supervisor_then_the_administrator(
        client, other_client, world, supervised):
    with as_user(supervised):
        supervision.set_steps(supervised, ["shred_request"])
        db.session.commit()
    case = make_case(world.cw_a)
    with as_user(world.cw_a):
        plan.add_goal(world.cw_a, case, GOAL)
        db.session.commit()
    login(client, world.cw_a)
    assert _ask_to_erase(client, case, confirm=False).status_code == 302  # not ticked: nothing asked
    assert _approvals(case) == []
    assert _ask_to_erase(client, case).status_code == 302
    [approval] = _approvals(case)
    assert approval.step == "shred_request" and approval.status == ApprovalStatus.PENDING
    assert _ask_to_erase(client, case).status_code == 302 and len(_approvals(case)) == 1  # once

    login(other_client, world.admin)
    assert case.case_number not in other_client.get("/admin/erasures").get_data(as_text=True)  # not approved yet
    lead_client = client.application.test_client()
    login(lead_client, supervised)
    assert _decide(lead_client, approval, "approve").status_code == 302
    assert db.session.execute(select(Notification).where(Notification.kind == "erasure.requested",
                                                         Notification.user_id == world.admin.id)).first()

    page = other_client.get("/admin/erasures").get_data(as_text=True)
    assert case.case_number in page and "File a complaint" not in page
    token = csrf_token(other_client, "/admin/erasures")
    wrong = other_client.post(f"/admin/erasures/{approval.id}", data={"csrf_token": token, "case_number": "CAS-X"})
    assert wrong.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).shredded_at is None
    done = other_client.post(f"/admin/erasures/{approval.id}", data={"csrf_token": token,
                                                                     "case_number": case.case_number})
    assert done.status_code == 302
    db.session.expire_all()
    erased = db.session.get(Case, case.id)
    assert erased.shredded_at is not None and _approvals(case)[0].carried_out_at is not None
    assert plan.goals_of_case(world.cw_a, erased)[0].text is None
    assert client.get(_page(case)).status_code == 200  # her file page still opens, with nothing of her
    again = other_client.post(f"/admin/erasures/{approval.id}", data={"csrf_token": token,
                                                                      "case_number": case.case_number})
    assert again.status_code == 302


def test_without_supervision_the_erasure_goes_straight_to_the_administrator(client, world):
    case = make_case(world.cw_a)
    login(client, world.cw_a)
    assert _ask_to_erase(client, case).status_code == 302
    [approval] = _approvals(case)
    assert approval.status == ApprovalStatus.APPROVED and approval.decided_by_id is None


@pytest.mark.parametrize("who", ["cw_b", "officer_police", "coordinator", "auditor"])
def test_only_her_association_asks_and_only_the_administrator_erases(client, world, who):
    case = make_case(world.cw_a)
    consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    login(client, getattr(world, who))
    token = csrf_token(client, "/")
    assert client.post(f"/cases/{case.id}/erasure", data={"csrf_token": token, "confirm": "y"}).status_code in (
        403, 404)
    assert client.get("/admin/erasures").status_code == 403
    assert _approvals(case) == []
