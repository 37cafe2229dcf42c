"""No lone administrator reaches identity: account changes that open files wait for a lead's approval.

Tried as an administrator acting alone would, as a lead of another agency, as the person concerned,
and as two leads clicking at the same moment.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from referral.extensions import db
from referral.models import AccountApproval, AuditEvent, Notification, OutboxEmail, User, UserRole
from referral.models.vocab import AccountChange, ApprovalStatus, Role
from referral.policy import Action, NotFoundError, PermissionDenied, require
from referral.services import account_approvals
from referral.services import admin as accounts_admin
from referral.services.admin import AccountError
from tests.factories import PASSWORD, csrf_token, login, make_case, make_user, race

TEMP_PASSWORD_RE = re.compile(r'class="one-time-secret" dir="ltr"><code>([^<]+)</code>')


@pytest.fixture
def leads(world):
    """A lead in association A (besides its caseworker) and one in the police."""
    lead_a = make_user("lead.a", world.assoc_a, Role.CASEWORKER, Role.LEAD, email="lead.a@example.org")
    lead_police = make_user("lead.police", world.police, Role.OFFICER, Role.LEAD)
    db.session.commit()
    return {"a": lead_a, "police": lead_police}


def english(client) -> None:
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client, "/")})


def post(client, path: str, data: dict | None = None, form_page: str = "/"):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, form_page)})


def create_caseworker(client, world, username="nadia.b"):
    return post(client, "/admin/users/new", {
        "username": username, "display_name": "Nadia Bennani", "email": "nadia@example.org",
        "agency_id": str(world.assoc_a.id), "roles": ["caseworker"], "region_id": ""}, "/admin/users/new")


def user_named(username: str) -> User:
    db.session.expire_all()
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def pending(user: User) -> list[AccountApproval]:
    db.session.expire_all()
    return db.session.execute(select(AccountApproval).where(
        AccountApproval.user_id == user.id, AccountApproval.status == ApprovalStatus.PENDING)).scalars().all()


def try_login(client, username: str, password: str) -> int:
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(client)}).status_code


def events(action: str) -> list[AuditEvent]:
    return db.session.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars().all()


# --- a new account -------------------------------------------------------------------------------


def test_a_new_caseworker_account_opens_only_when_a_lead_of_her_association_approves(
        client, other_client, app, world, leads):
    login(client, world.admin)
    english(client)
    response = create_caseworker(client, world)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "stays disabled until a lead of its agency approves" in page
    assert not TEMP_PASSWORD_RE.search(page)  # the admin never holds her password
    nadia = user_named("nadia.b")
    assert not nadia.active and "Waiting for a lead" in page and "Disabled" not in page
    assert f"/admin/users/{nadia.id}/enable" not in page  # opening it is already asked
    [request] = pending(nadia)
    assert (request.kind, request.agency_id, request.requested_by_id) == (
        AccountChange.CREATE, world.assoc_a.id, world.admin.id)

    # The leads of her association are told, in the app and by email with no password in it.
    told = db.session.execute(select(Notification.user_id).where(
        Notification.kind == "account.approval_needed")).scalars().all()
    assert set(told) == {leads["a"].id}
    mail = db.session.execute(select(OutboxEmail).where(OutboxEmail.to_address == "lead.a@example.org")).scalar_one()
    assert "/approvals" in mail.body and "nadia.b" in mail.body

    login(other_client, leads["a"])
    english(other_client)
    home = other_client.get("/").get_data(as_text=True)
    assert 'href="/approvals"' in home
    listing = other_client.get("/approvals").get_data(as_text=True)
    assert "nadia.b" in listing and "New account" in listing
    response = post(other_client, f"/approvals/{request.id}/approve", form_page="/approvals")
    assert response.status_code == 200
    temporary = TEMP_PASSWORD_RE.search(response.get_data(as_text=True)).group(1)
    assert "shown only now, to you" in response.get_data(as_text=True)

    nadia = user_named("nadia.b")
    assert nadia.active and nadia.must_change_password
    assert db.session.get(AccountApproval, request.id).decided_by_id == leads["a"].id
    grant = events("account.approval_grant")[0]
    assert grant.actor_username == "lead.a" and temporary not in str(grant.details)
    third = app.test_client()
    response = third.post("/login", data={"username": "nadia.b", "password": temporary,
                                          "csrf_token": csrf_token(third)})
    assert response.headers["Location"].endswith("/login/enrol")
    # Decided: it leaves the lead's list, and the admin and she are told.
    assert "nadia.b" not in other_client.get("/approvals").get_data(as_text=True)
    approved = db.session.execute(select(Notification.user_id).where(
        Notification.kind == "account.change_approved")).scalars().all()
    assert set(approved) == {world.admin.id, nadia.id}


def test_until_approved_the_new_account_reaches_nothing(client, other_client, world, leads):
    login(client, world.admin)
    create_caseworker(client, world)
    nadia = user_named("nadia.b")
    make_case(world.cw_a)
    # Whatever password the admin might try, the account is disabled: the same answer as a wrong one.
    assert try_login(other_client, "nadia.b", PASSWORD) == 422
    with pytest.raises(NotFoundError):
        require(nadia, Action.CASE_LIST)
    # Re-enabling it directly is not a way round: it is one more request.
    post(client, f"/admin/users/{nadia.id}/enable", form_page=f"/admin/users/{nadia.id}")
    assert not user_named("nadia.b").active
    with pytest.raises(AccountError, match="needs_approval"):
        accounts_admin.set_active(world.admin, nadia, True)


def test_a_network_account_reaches_no_file_and_needs_no_approval(client, world, leads):
    login(client, world.admin)
    response = post(client, "/admin/users/new", {
        "username": "coord.new", "display_name": "C", "agency_id": str(world.network.id),
        "roles": ["coordinator"], "region_id": ""}, "/admin/users/new")
    assert TEMP_PASSWORD_RE.search(response.get_data(as_text=True))
    assert user_named("coord.new").active and not pending(user_named("coord.new"))


# --- who may approve -------------------------------------------------------------------------------


def test_the_admin_cannot_approve_her_own_request(client, world, leads):
    login(client, world.admin)
    create_caseworker(client, world)
    [request] = pending(user_named("nadia.b"))
    assert client.get("/approvals").status_code == 403
    assert post(client, f"/approvals/{request.id}/approve").status_code == 403
    assert not user_named("nadia.b").active and pending(user_named("nadia.b"))
    assert {e.details["action"] for e in events("access.denied")} == {"accounts:approve"}
    assert 'href="/approvals"' not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("who", ["lead.police", "cw.a", "cw.b", "coord", "auditor"])
def test_nobody_but_a_lead_of_her_agency_approves(client, world, leads, who):
    """A lead of another agency finds nothing (404); a colleague who is no lead, and network staff,
    are refused (403); each refusal is logged and the account stays closed."""
    nadia, _ = accounts_admin.create_user(world.admin, username="nadia.b", display_name="N", agency=world.assoc_a,
                                          roles={Role.CASEWORKER})
    [request] = pending(nadia)
    db.session.commit()
    login(client, user_named(who))
    expected = 404 if who == "lead.police" else 403
    assert post(client, f"/approvals/{request.id}/approve").status_code == expected
    assert post(client, f"/approvals/{request.id}/refuse").status_code == expected
    assert not user_named("nadia.b").active
    assert db.session.get(AccountApproval, request.id).status == ApprovalStatus.PENDING
    denied = events("access.denied")
    assert len(denied) == 2 and {e.details["action"] for e in denied} == {"accounts:approve"}
    if who == "lead.police":
        assert "nadia.b" not in client.get("/approvals").get_data(as_text=True)


def test_a_lead_never_approves_a_change_to_her_own_account(client, world, leads):
    accounts_admin.request_change(world.admin, leads["a"], AccountChange.RESET_PASSWORD)
    [request] = pending(leads["a"])
    db.session.commit()
    login(client, user_named("lead.a"))
    assert "lead.a" not in client.get("/approvals").get_data(as_text=True).split("<h1>")[1]
    assert post(client, f"/approvals/{request.id}/approve").status_code == 403
    assert db.session.get(AccountApproval, request.id).status == ApprovalStatus.PENDING


def test_the_policy_table_of_approvals(world, leads):
    other_lead = make_user("lead.a2", world.assoc_a, Role.CASEWORKER, Role.LEAD)
    accounts_admin.request_change(world.admin, world.cw_a, AccountChange.RESET_SECOND_FACTOR)
    [request] = pending(world.cw_a)
    table = {
        leads["a"]: "allowed", other_lead: "allowed", leads["police"]: NotFoundError, world.cw_a: NotFoundError,
        world.cw_b: NotFoundError, world.admin: NotFoundError, world.coordinator: NotFoundError,
        world.auditor: NotFoundError,
    }
    for user, expected in table.items():
        try:
            require(user, Action.ACCOUNTS_APPROVE, request)
            got = "allowed"
        except (NotFoundError, PermissionDenied) as exc:
            got = type(exc)
        assert got == expected, user.username
    world.cw_a.role_rows.append(UserRole(role=Role.LEAD))  # the person concerned, made a lead meanwhile
    with pytest.raises(PermissionDenied):
        require(world.cw_a, Action.ACCOUNTS_APPROVE, request)
    with pytest.raises(PermissionDenied):  # another action on the request
        require(leads["a"], Action.USERS_MANAGE, request)


# --- resets and re-enabling --------------------------------------------------------------------------


def test_a_password_reset_changes_nothing_until_approved_and_its_password_goes_to_the_lead(
        client, other_client, app, world, leads):
    login(other_client, world.cw_a)  # she is working
    login(client, world.admin)
    page = f"/admin/users/{world.cw_a.id}"
    response = post(client, f"{page}/password/reset", form_page=page)
    assert response.status_code == 302 and not TEMP_PASSWORD_RE.search(response.get_data(as_text=True))
    assert other_client.get("/").status_code == 200  # nothing changed yet: her session goes on
    cw_a = user_named("cw.a")
    assert not cw_a.must_change_password
    told = db.session.execute(select(Notification.kind).where(Notification.user_id == cw_a.id)).scalars().all()
    assert "account.change_requested" in told  # she hears of it, and can object
    mail = db.session.execute(select(OutboxEmail).where(OutboxEmail.to_address == "cw.a@example.org")).scalar_one()
    assert "cw.a" in mail.body and PASSWORD not in mail.body

    [request] = pending(cw_a)
    lead_client = app.test_client()
    login(lead_client, leads["a"])
    response = post(lead_client, f"/approvals/{request.id}/approve", form_page="/approvals")
    temporary = TEMP_PASSWORD_RE.search(response.get_data(as_text=True)).group(1)
    assert other_client.get("/").status_code == 302  # her sessions ended at the approval
    assert try_login(app.test_client(), "cw.a", PASSWORD) == 422  # the old password is gone
    fresh = app.test_client()
    assert try_login(fresh, "cw.a", temporary) == 302


def test_a_second_factor_reset_and_a_re_enabling_wait_for_the_lead(client, world, leads):
    login(client, world.admin)
    page = f"/admin/users/{world.cw_a.id}"
    post(client, f"{page}/second-factor/reset", form_page=page)
    assert user_named("cw.a").totp_confirmed_at is not None
    post(client, f"{page}/disable", form_page=page)
    post(client, f"{page}/enable", form_page=page)
    assert not user_named("cw.a").active
    kinds = {r.kind for r in pending(user_named("cw.a"))}
    assert kinds == {AccountChange.RESET_SECOND_FACTOR, AccountChange.ENABLE}
    for request in pending(user_named("cw.a")):
        account_approvals.approve(user_named("lead.a"), request)
    db.session.commit()
    cw_a = user_named("cw.a")
    assert cw_a.active and cw_a.totp_confirmed_at is None


def test_disabling_cancels_the_request_that_would_open_the_account(client, world, leads):
    login(client, world.admin)
    create_caseworker(client, world)
    nadia = user_named("nadia.b")
    [request] = pending(nadia)
    page = f"/admin/users/{nadia.id}"
    post(client, f"{page}/disable", form_page=page)
    assert db.session.get(AccountApproval, request.id).status == ApprovalStatus.CANCELLED
    with pytest.raises(AccountError, match="already_decided"):
        account_approvals.approve(user_named("lead.a"), db.session.get(AccountApproval, request.id))
    assert not user_named("nadia.b").active


def test_the_same_change_is_asked_once(client, world, leads):
    login(client, world.admin)
    english(client)
    page = f"/admin/users/{world.cw_a.id}"
    post(client, f"{page}/password/reset", form_page=page)
    post(client, f"{page}/password/reset", form_page=page)
    assert len(pending(user_named("cw.a"))) == 1
    assert "The same change already waits" in client.get(page).get_data(as_text=True)


def test_an_admin_may_cancel_her_request(client, world, leads):
    login(client, world.admin)
    page = f"/admin/users/{world.cw_a.id}"
    post(client, f"{page}/password/reset", form_page=page)
    [request] = pending(user_named("cw.a"))
    assert f"/admin/requests/{request.id}/cancel" in client.get(page).get_data(as_text=True)
    post(client, f"/admin/requests/{request.id}/cancel", form_page=page)
    assert db.session.get(AccountApproval, request.id).status == ApprovalStatus.CANCELLED
    assert events("account.approval_cancel")


def test_a_refusal_changes_nothing_and_tells_them(client, world, leads):
    accounts_admin.request_change(world.admin, world.cw_a, AccountChange.RESET_PASSWORD)
    [request] = pending(world.cw_a)
    db.session.commit()
    login(client, user_named("lead.a"))
    assert post(client, f"/approvals/{request.id}/refuse", form_page="/approvals").status_code == 302
    assert db.session.get(AccountApproval, request.id).status == ApprovalStatus.REFUSED
    assert not user_named("cw.a").must_change_password
    told = db.session.execute(select(Notification.user_id).where(
        Notification.kind == "account.change_refused")).scalars().all()
    assert set(told) == {world.admin.id, world.cw_a.id}
    # Decided once: approving it afterwards is refused and changes nothing at all.
    from tests.web.test_refusals_change_nothing import table_contents

    token = csrf_token(client, "/approvals")
    before = table_contents()
    response = client.post(f"/approvals/{request.id}/approve", data={"csrf_token": token})
    assert response.status_code == 302 and table_contents() == before
    assert 'class="flash flash-error"' in client.get("/approvals").get_data(as_text=True)


def test_a_request_older_than_a_week_cannot_be_approved(world, leads, clock):
    accounts_admin.request_change(world.admin, world.cw_a, AccountChange.RESET_SECOND_FACTOR)
    [request] = pending(world.cw_a)
    db.session.commit()
    clock.shift(timedelta(days=accounts_admin.APPROVAL_DAYS, minutes=1))
    assert account_approvals.waiting_for(user_named("lead.a")) == []
    with pytest.raises(AccountError, match="expired"):
        account_approvals.approve(user_named("lead.a"), db.session.get(AccountApproval, request.id))
    db.session.rollback()
    # Asking again replaces the stale request.
    accounts_admin.request_change(world.admin, user_named("cw.a"), AccountChange.RESET_SECOND_FACTOR)
    assert db.session.get(AccountApproval, request.id).status == ApprovalStatus.EXPIRED


# --- leads -------------------------------------------------------------------------------------------


def test_a_new_lead_is_approved_by_an_existing_one_and_removed_by_the_admin_alone(client, world, leads):
    login(client, world.admin)
    page = f"/admin/users/{world.cw_a.id}"
    post(client, f"{page}/lead", form_page=page)
    assert Role.LEAD not in user_named("cw.a").roles
    [request] = pending(user_named("cw.a"))
    account_approvals.approve(user_named("lead.a"), request)
    db.session.commit()
    assert Role.LEAD in user_named("cw.a").roles
    post(client, f"{page}/lead/remove", form_page=page)
    assert Role.LEAD not in user_named("cw.a").roles
    assert events("admin.lead_remove")


def test_network_staff_cannot_be_made_leads(world):
    with pytest.raises(AccountError, match="no_approval_needed"):
        accounts_admin.request_change(world.admin, world.coordinator, AccountChange.GRANT_LEAD)
    with pytest.raises(AccountError, match="lead_needs_staff_role"):
        accounts_admin.create_user(world.admin, username="x", display_name="X", agency=world.network,
                                   roles={Role.LEAD})


def test_the_operator_designates_an_agencys_first_lead(app, world):
    nadia, password = accounts_admin.create_user(world.admin, username="nadia.b", display_name="N",
                                                 agency=world.hospital, roles={Role.OFFICER})
    assert password is None
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["designate-lead", "NADIA.B"])
    assert result.exit_code == 0, result.output
    temporary = result.output.strip().splitlines()[-1]
    nadia = user_named("nadia.b")
    assert nadia.active and Role.LEAD in nadia.roles
    assert try_login(app.test_client(), "nadia.b", temporary) == 302
    assert events("account.operator_designate_lead")[0].actor_username == "cli"
    refused = app.test_cli_runner().invoke(args=["designate-lead", "coord"])
    assert refused.exit_code == 2 and Role.LEAD not in user_named("coord").roles


# --- at the same moment ------------------------------------------------------------------------------


def test_two_leads_approving_at_once_open_the_account_once(app, world, leads):
    second = make_user("lead.a2", world.assoc_a, Role.CASEWORKER, Role.LEAD)
    nadia, _ = accounts_admin.create_user(world.admin, username="nadia.b", display_name="N", agency=world.assoc_a,
                                          roles={Role.CASEWORKER})
    [request] = pending(nadia)
    db.session.commit()
    clients = []
    for lead in (leads["a"], second):
        c = app.test_client()
        login(c, lead)
        clients.append((c, csrf_token(c, "/approvals")))
    url = f"/approvals/{request.id}/approve"
    answers = race([lambda c=c, t=t: c.post(url, data={"csrf_token": t}) for c, t in clients])
    passwords = [TEMP_PASSWORD_RE.search(a.get_data(as_text=True)) for a in answers]
    assert sum(p is not None for p in passwords) == 1
    assert len(events("account.approval_grant")) == 1
    assert db.session.execute(select(func.count()).select_from(AccountApproval).where(
        AccountApproval.status == ApprovalStatus.APPROVED)).scalar_one() == 1


def test_approval_pages_refuse_without_csrf_and_anonymous_visitors(client, world, leads):
    accounts_admin.request_change(world.admin, world.cw_a, AccountChange.RESET_PASSWORD)
    [request] = pending(world.cw_a)
    db.session.commit()
    response = client.get("/approvals")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(client, user_named("lead.a"))
    assert client.post(f"/approvals/{request.id}/approve").status_code == 400
    assert db.session.get(AccountApproval, request.id).status == ApprovalStatus.PENDING
