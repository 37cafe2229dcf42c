"""Flask-Login says who is logged in, on top of the server-side sessions: the session row is the one
source of truth, remember-me stays off, and a forged or stale remember cookie names nobody."""

from __future__ import annotations

from flask_login import current_user
from flask_login.utils import encode_cookie
from sqlalchemy import func, select

from referral.extensions import db
from referral.models import UserSession
from tests.factories import PASSWORD, csrf_token, login

REMEMBER = "remember_token"  # Flask-Login's cookie name
#: What Flask-Login keeps in the session when it reads a remember cookie or logs someone in itself.
FLASK_LOGIN_KEYS = {"_user_id", "_fresh", "_id", "_remember", "_remember_seconds"}


def _cookies_set(response) -> list[str]:
    return [value.split("=", 1)[0] for value in response.headers.getlist("Set-Cookie")]


def _send_remember_cookie(app, client, user) -> str:
    """A remember cookie naming `user`, signed with the app's key as Flask-Login would have signed it,
    for the app's own host: one for another host (the test client's default, localhost) is never
    sent, and a test with it would prove nothing."""
    with app.test_request_context():
        forged = encode_cookie(str(user.id))
    client.set_cookie(REMEMBER, forged, domain=app.config["SERVER_NAME"])
    return forged


def test_logging_in_sets_no_remember_cookie(client, world):
    response = login(client, world.cw_b)
    assert REMEMBER not in _cookies_set(response)
    assert client.get_cookie(REMEMBER) is None
    assert client.get("/").status_code == 200


def test_a_remember_cookie_names_nobody(app, client, world):
    """Even one signed with the app's key (as Flask-Login would have): no session row, no user."""
    forged = _send_remember_cookie(app, client, world.admin)
    response = client.get("/")
    assert response.request.cookies.get(REMEMBER) == forged  # the app did receive it
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_remember_cookie_does_not_change_who_she_is(app, client, world):
    login(client, world.cw_a)
    forged = _send_remember_cookie(app, client, world.admin)
    refused = client.get("/admin/users")
    assert refused.request.cookies.get(REMEMBER) == forged  # the app did receive it
    assert refused.status_code == 403  # still the caseworker, not the admin
    assert world.cw_a.display_name in client.get("/").get_data(as_text=True)


def test_a_remember_cookie_writes_nothing_into_her_session_row(app, client, world):
    """Flask-Login's keys (who the cookie names, its freshness) would be a second, wrong answer to
    "who is this" kept in the row."""
    login(client, world.cw_a)
    _send_remember_cookie(app, client, world.admin)
    assert client.get("/").status_code == 200
    rows = db.session.scalars(select(UserSession).where(UserSession.user_id == world.cw_a.id,
                                                        UserSession.revoked_at.is_(None))).all()
    assert len(rows) == 1
    assert not FLASK_LOGIN_KEYS & set(rows[0].data)


def test_a_remember_cookie_opens_no_session_row_for_a_visitor(app, client, world):
    """A visitor's session is a signed cookie and writes nothing to the database; a remember cookie
    does not change that."""
    _send_remember_cookie(app, client, world.admin)
    assert client.get("/login").status_code == 200
    assert client.get("/cases/").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_a_revoked_session_row_has_no_user(client, other_client, world):
    login(client, world.cw_a)
    login(other_client, world.cw_a)
    assert client.get("/cases/").status_code == 200
    other_client.post("/logout/everywhere", data={"csrf_token": csrf_token(other_client, "/account")})
    db.session.expire_all()
    refused = client.get("/cases/")
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]


def test_half_logged_in_is_not_logged_in(client, world):
    """After the password, before the second factor: the session row has no user yet."""
    token = csrf_token(client)
    response = client.post("/login", data={"username": world.cw_a.username, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302 and "/login/verify" in response.headers["Location"]
    page = client.get("/cases/")
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_current_user_is_anonymous_outside_a_session(app):
    with app.test_request_context("/"):
        assert not current_user.is_authenticated
