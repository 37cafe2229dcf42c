"""The administrator's account pages, as an admin, the people she manages, and everyone else see them."""

from __future__ import annotations

import html
import re

import pyotp
import pytest
from sqlalchemy import func, select

from referral.extensions import db
from referral.models import AuditEvent, User, UserSession
from referral.models.vocab import Role
from referral.services import accounts
from tests.factories import IDENTITY, PASSWORD, csrf_token, login, make_case, make_user, totp_now

TEMP_PASSWORD_RE = re.compile(r'class="one-time-secret" dir="ltr"><code>([^<]+)</code>')
NEW_PASSWORD = "a long sentence nobody else would pick 42"


def login_again(client, user: User, password: str = PASSWORD) -> None:
    """A second login of the same person within 30 seconds: her last code was used, take the next."""
    response = client.post("/login", data={"username": user.username, "password": password,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    response = client.post("/login/verify", data={"code": totp_now(user, 1),
                                                  "csrf_token": csrf_token(client, "/login/verify")})
    assert response.status_code == 302


def english(client) -> None:
    """Read the pages in English: assertions keep their meaning once the catalogues are translated."""
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client, "/")})


def as_admin(client, world):
    login(client, world.admin)
    english(client)
    return client


def create(client, world, **overrides):
    data = {"username": "nadia.b", "display_name": "Nadia Bennani", "email": "nadia@example.org",
            "agency_id": str(world.assoc_a.id), "roles": ["caseworker"], "region_id": ""}
    data.update(overrides)
    data["csrf_token"] = csrf_token(client, "/admin/users/new")
    return client.post("/admin/users/new", data=data)


def field_errors(page: str, field_id: str) -> str:
    """The error list rendered next to one field (empty if none)."""
    match = re.search(rf'<ul class="errors" id="{field_id}-err">(.*?)</ul>', page, re.S)
    return html.unescape(match.group(1)) if match else ""


def post(client, path: str, form_page: str = "/"):
    return client.post(path, data={"csrf_token": csrf_token(client, form_page)})


def count_users() -> int:
    return db.session.execute(select(func.count()).select_from(User)).scalar_one()


# --- creating an account ---------------------------------------------------------------------------


NETWORK_ACCOUNT = {"roles": ["coordinator"]}  # reaches no file: the admin opens it alone


def create_network_account(client, world, **overrides):
    return create(client, world, agency_id=str(world.network.id), **NETWORK_ACCOUNT, **overrides)


def test_admin_creates_an_account_and_sees_its_temporary_password_once(client, world):
    as_admin(client, world)
    response = create_network_account(client, world)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    temporary = TEMP_PASSWORD_RE.search(page).group(1)
    assert "shown only now" in page

    user = db.session.execute(select(User).where(User.username == "nadia.b")).scalar_one()
    assert user.roles == {Role.COORDINATOR} and user.agency_id == world.network.id and user.must_change_password
    assert user.display_name == "Nadia Bennani" and user.email == "nadia@example.org" and user.totp_confirmed_at is None
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "admin.user_create")).scalar_one()
    assert event.actor_username == "admin" and event.object_id == str(user.id)
    # The password is in that one answer only: not in the log, a session, or the account's page.
    assert temporary not in str(event.details)
    assert all(temporary not in str(row.data) for row in db.session.execute(select(UserSession)).scalars())
    assert temporary not in client.get(f"/admin/users/{user.id}").get_data(as_text=True)


def test_a_new_account_logs_in_enrols_and_must_change_its_password(client, other_client, world):
    as_admin(client, world)
    temporary = TEMP_PASSWORD_RE.search(create_network_account(client, world).get_data(as_text=True)).group(1)
    user_id = db.session.execute(select(User.id).where(User.username == "nadia.b")).scalar_one()

    token = csrf_token(other_client)
    response = other_client.post("/login", data={"username": "nadia.b", "password": temporary, "csrf_token": token})
    assert response.headers["Location"].endswith("/login/enrol")
    token = csrf_token(other_client, "/login/enrol")
    secret = accounts.totp_secret(db.session.get(User, user_id))
    response = other_client.post("/login/enrol", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    assert response.status_code == 200  # her recovery codes
    response = other_client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")
    assert other_client.get("/admin/users").headers["Location"].endswith("/account/password")
    token = csrf_token(other_client, "/account/password")
    response = other_client.post("/account/password", data={
        "current_password": temporary, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD,
        "csrf_token": token})
    assert response.status_code == 302
    assert other_client.get("/").status_code == 200


def test_bad_input_keeps_what_was_typed_and_shows_each_error_next_to_its_field(client, world):
    as_admin(client, world)
    before = count_users()
    response = create(client, world, username="nadia b!", email="not-an-email", region_id=str(world.r1.id))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Only a coordinator watches one region." in field_errors(page, "region_id")
    assert "not a valid email" in field_errors(page, "email")
    assert 'value="Nadia Bennani"' in page and 'value="nadia b!"' in page and 'value="not-an-email"' in page
    assert re.search(r'<input checked[^>]*value="caseworker"', page)
    assert count_users() == before

    # The form is valid, but the account service refuses the username: the error sits by that field.
    page = create(client, world, username="nadia b!").get_data(as_text=True)
    assert "Use only letters, digits" in field_errors(page, "username")
    assert field_errors(page, "roles") == ""
    assert 'value="Nadia Bennani"' in page
    assert count_users() == before


def test_a_username_cannot_be_taken_twice(client, world):
    as_admin(client, world)
    page = create(client, world, username="CW.A").get_data(as_text=True)
    assert "already used by another account" in field_errors(page, "username")
    assert 'value="CW.A"' in page
    assert db.session.execute(select(func.count()).select_from(User).where(User.username == "cw.a")).scalar_one() == 1


@pytest.mark.parametrize(("roles", "agency", "field", "message"), [
    (["coordinator", "caseworker"], "network", "roles", "cannot be combined"),
    (["auditor", "officer"], "police", "roles", "cannot be combined"),
    (["auditor"], "assoc_a", "roles", "belong to the network"),
    (["officer"], "network", "agency_id", "not to the network"),
    (["caseworker"], "police", "roles", "Caseworkers belong to an association"),
    ([], "assoc_a", "roles", "Choose at least one role"),
])
def test_roles_that_do_not_fit_together_or_with_the_agency_are_refused(client, world, roles, agency, field, message):
    as_admin(client, world)
    before = count_users()
    response = create(client, world, roles=roles, agency_id=str(getattr(world, agency).id))
    assert response.status_code == 422
    assert message in field_errors(response.get_data(as_text=True), field)
    assert count_users() == before


def test_a_regional_coordinator_is_created_with_her_region(client, world):
    as_admin(client, world)
    response = create(client, world, username="coord.r1", roles=["coordinator"], agency_id=str(world.network.id),
                      region_id=str(world.r1.id))
    assert TEMP_PASSWORD_RE.search(response.get_data(as_text=True))
    user = db.session.execute(select(User).where(User.username == "coord.r1")).scalar_one()
    assert user.region_id == world.r1.id and user.roles == {Role.COORDINATOR}


# --- the list --------------------------------------------------------------------------------------


def test_the_list_pages_by_25_and_filters_by_agency_role_and_username(client, world):
    for i in range(30):
        make_user(f"staff.{i:02d}", world.assoc_b, Role.CASEWORKER, enrolled=False)
    db.session.commit()
    as_admin(client, world)

    first = client.get("/admin/users").get_data(as_text=True)
    second = client.get("/admin/users?page=2").get_data(as_text=True)
    usernames = re.compile(r'href="/admin/users/\d+" dir="ltr" class="ref">([^<]+)<')
    page_one, page_two = usernames.findall(first), usernames.findall(second)
    assert len(page_one) == 25 and len(page_two) == 38 - 25
    assert not set(page_one) & set(page_two)
    assert 'rel="next"' in first and 'rel="next"' not in second

    by_agency = usernames.findall(client.get(f"/admin/users?agency={world.police.id}").get_data(as_text=True))
    assert by_agency == ["officer.police"]
    by_role = usernames.findall(client.get("/admin/users?role=coordinator").get_data(as_text=True))
    assert by_role == ["coord", "coord.r2"]
    by_text = usernames.findall(client.get("/admin/users?q=STAFF.2&page=1").get_data(as_text=True))
    assert by_text == [f"staff.2{i}" for i in range(10)]
    # LIKE wildcards typed in the box are taken literally.
    assert usernames.findall(client.get("/admin/users?q=%25").get_data(as_text=True)) == []
    filtered_next = client.get(f"/admin/users?agency={world.assoc_b.id}").get_data(as_text=True)
    next_link = html.unescape(re.search(r'href="([^"]+)" rel="next"', filtered_next).group(1))
    assert f"agency={world.assoc_b.id}" in next_link and "page=2" in next_link


def test_the_list_shows_second_factor_and_last_login(client, world):
    make_user("not.enrolled", world.assoc_a, Role.CASEWORKER, enrolled=False)
    db.session.commit()
    as_admin(client, world)
    page = client.get("/admin/users?q=not.enrolled").get_data(as_text=True)
    row = page.split('class="ref">not.enrolled</a>')[1].split("</tr>")[0]
    assert '<span class="badge warn">No</span>' in row and "Never" in row
    page = client.get("/admin/users?q=admin").get_data(as_text=True)
    row = page.split('class="ref">admin</a>')[1].split("</tr>")[0]
    assert "Yes" in row and "Never" not in row  # she just logged in


def test_admin_pages_show_no_survivor_data(client, world):
    make_case(world.cw_a)
    as_admin(client, world)
    pages = [client.get(url).get_data(as_text=True)
             for url in ("/admin/users", f"/admin/users/{world.cw_a.id}", "/admin/users/new")]
    for value in IDENTITY.values():
        assert all(value not in page for page in pages)


# --- disabling, resetting --------------------------------------------------------------------------


def test_disabling_ends_her_sessions_and_enabling_lets_her_back(client, other_client, world):
    login(other_client, world.coordinator)
    assert other_client.get("/").status_code == 200
    as_admin(client, world)
    page = f"/admin/users/{world.coordinator.id}"
    response = post(client, f"{page}/disable", page)
    assert response.status_code == 302 and response.headers["Location"].endswith(page)
    assert "The account is disabled" in client.get(page).get_data(as_text=True)

    response = other_client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    refused = other_client.post("/login", data={"username": "coord", "password": PASSWORD,
                                                "csrf_token": csrf_token(other_client)})
    assert refused.status_code == 422  # the same answer as a wrong password
    assert db.session.execute(select(AuditEvent.action).where(
        AuditEvent.action == "admin.user_disable", AuditEvent.object_id == str(world.coordinator.id))).scalar_one()

    post(client, f"{page}/enable", page)
    assert db.session.get(User, world.coordinator.id).active
    login_again(other_client, world.coordinator)
    assert other_client.get("/").status_code == 200


def test_an_admin_cannot_disable_herself(client, world):
    as_admin(client, world)
    page = f"/admin/users/{world.admin.id}"
    assert f"{page}/disable" not in client.get(page).get_data(as_text=True)
    response = post(client, f"{page}/disable", page)
    assert response.status_code == 302
    assert "You cannot disable your own account." in client.get(page).get_data(as_text=True)
    assert db.session.get(User, world.admin.id).active


def test_resetting_the_second_factor_sends_her_to_enrolment(client, other_client, world):
    login(other_client, world.auditor)
    as_admin(client, world)
    page = f"/admin/users/{world.auditor.id}"
    post(client, f"{page}/second-factor/reset", page)
    assert "Not set up" in client.get(page).get_data(as_text=True)

    assert other_client.get("/").status_code == 302  # her session ended
    response = other_client.post("/login", data={"username": "auditor", "password": PASSWORD,
                                                 "csrf_token": csrf_token(other_client)})
    assert response.headers["Location"].endswith("/login/enrol")
    assert other_client.get("/login/verify").headers["Location"].endswith("/login")


def test_resetting_the_password_shows_a_new_one_once(client, other_client, world):
    login(other_client, world.auditor)
    as_admin(client, world)
    page = f"/admin/users/{world.auditor.id}"
    response = post(client, f"{page}/password/reset", page)
    assert response.status_code == 200
    temporary = TEMP_PASSWORD_RE.search(response.get_data(as_text=True)).group(1)
    assert temporary not in client.get(page).get_data(as_text=True)

    assert other_client.get("/").status_code == 302
    old = other_client.post("/login", data={"username": "auditor", "password": PASSWORD,
                                            "csrf_token": csrf_token(other_client)})
    assert old.status_code == 422
    login_again(other_client, world.auditor, password=temporary)
    assert other_client.get("/").headers["Location"].endswith("/account/password")


def test_an_unknown_account_is_not_found(client, world):
    as_admin(client, world)
    assert client.get("/admin/users/999999").status_code == 404
    assert post(client, "/admin/users/999999/disable").status_code == 404


# --- who may -------------------------------------------------------------------------------------

ADMIN_GETS = ("/admin/users", "/admin/users/new", "/admin/users/{id}")
ADMIN_POSTS = ("/admin/users/new", "/admin/users/{id}/disable", "/admin/users/{id}/enable",
               "/admin/users/{id}/second-factor/reset", "/admin/users/{id}/password/reset",
               "/admin/users/{id}/lead", "/admin/users/{id}/lead/remove", "/admin/requests/{id}/cancel")


@pytest.mark.parametrize("who", ["cw_a", "officer_police", "coordinator", "regional_coordinator", "auditor"])
def test_only_admins_open_the_account_pages(client, world, who):
    login(client, getattr(world, who))
    target = world.cw_b.id
    for url in ADMIN_GETS:
        assert client.get(url.format(id=target)).status_code == 403, url
    for url in ADMIN_POSTS:
        assert post(client, url.format(id=target)).status_code == 403, url
    cw_b = db.session.get(User, world.cw_b.id)
    assert cw_b.active and cw_b.totp_confirmed_at is not None and not cw_b.must_change_password
    denied = db.session.execute(select(AuditEvent).where(AuditEvent.action == "access.denied")).scalars().all()
    assert len(denied) == len(ADMIN_GETS) + len(ADMIN_POSTS)
    assert {e.details["action"] for e in denied} == {"users:manage"}


def test_the_menu_shows_accounts_to_admins_only(client, other_client, world):
    login(client, world.admin)
    assert 'href="/admin/users"' in client.get("/").get_data(as_text=True)
    login(other_client, world.auditor)
    assert 'href="/admin/users"' not in other_client.get("/").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_login(client, world):
    for url in ADMIN_GETS:
        response = client.get(url.format(id=world.cw_a.id))
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    for url in ADMIN_POSTS:
        response = post(client, url.format(id=world.cw_a.id), "/login")
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    assert db.session.get(User, world.cw_a.id).active


def test_every_post_without_csrf_token_is_refused(client, world):
    as_admin(client, world)
    for url in ADMIN_POSTS:
        response = client.post(url.format(id=world.cw_a.id),
                               data={"username": "x.y", "display_name": "X", "agency_id": str(world.assoc_a.id),
                                     "roles": ["caseworker"]})
        assert response.status_code == 400, url
    cw_a = db.session.get(User, world.cw_a.id)
    assert cw_a.active and cw_a.totp_confirmed_at is not None and not cw_a.must_change_password
    assert db.session.execute(select(User).where(User.username == "x.y")).first() is None
