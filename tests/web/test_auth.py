"""Logging in, as a person and as an attacker sees it."""

from __future__ import annotations

from referral.extensions import db
from referral.models import AuditEvent, UserSession
from tests.factories import PASSWORD, csrf_token, login, totp_now


def _post_password(client, username, password):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(client)})


def test_login_in_two_steps_reaches_the_home_page(client, world):
    login(client, world.cw_a)
    page = client.get("/").get_data(as_text=True)
    assert "Cw.A" in page
    assert 'dir="rtl"' in page and 'lang="ar"' in page


def test_anonymous_is_sent_to_login(client, world):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_password_and_unknown_user_get_the_same_answer(client, world):
    wrong = _post_password(client, "cw.a", "not the password").get_data(as_text=True)
    unknown = _post_password(client, "nobody.here", "not the password").get_data(as_text=True)
    assert "Username or password is not correct." in wrong or "غير صحيح" in wrong
    strip = lambda html: html.split('name="csrf_token"')[0]  # noqa: E731
    assert strip(wrong).replace("cw.a", "X") == strip(unknown).replace("nobody.here", "X")


def test_lockout_applies_to_unknown_usernames_too(client, world):
    for _ in range(5):
        _post_password(client, "ghost", "wrong-password-1")
    for _ in range(5):
        _post_password(client, "cw.a", "wrong-password-1")
    ghost = _post_password(client, "ghost", "wrong-password-1").get_data(as_text=True)
    real = _post_password(client, "cw.a", PASSWORD).get_data(as_text=True)
    # Both are locked, and say so in the same words: lockout reveals nothing about existence.
    assert ghost.count("error-box") == real.count("error-box") == 1
    assert ghost.split('class="error-box"')[1][:80] == real.split('class="error-box"')[1][:80]


def test_password_without_second_factor_gives_no_access(client, world):
    response = _post_password(client, "cw.a", PASSWORD)
    assert response.headers["Location"].endswith("/login/verify")
    assert client.get("/").status_code == 302


def test_a_totp_code_is_accepted_once(client, other_client, world):
    code = totp_now(world.cw_a)
    _post_password(client, "cw.a", PASSWORD)
    ok = client.post("/login/verify", data={"code": code, "csrf_token": csrf_token(client, "/login/verify")})
    assert ok.status_code == 302
    _post_password(other_client, "cw.a", PASSWORD)
    replay = other_client.post("/login/verify", data={"code": code,
                                                      "csrf_token": csrf_token(other_client, "/login/verify")})
    assert replay.status_code == 422
    assert other_client.get("/").status_code == 302


def test_login_issues_a_new_session_id(client, world):
    client.get("/login")
    before = client.get_cookie("masar_session", domain="masar.test").value
    login(client, world.cw_a)
    after = client.get_cookie("masar_session", domain="masar.test").value
    assert before != after
    # The pre-login session cannot be used any more.
    rows = db.session.query(UserSession).all()
    assert any(r.revoked_at is not None for r in rows)


def test_logout_ends_the_session(client, world):
    login(client, world.cw_a)
    cookie = client.get_cookie("masar_session", domain="masar.test").value
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    client.set_cookie("masar_session", cookie, domain="masar.test")
    assert client.get("/").status_code == 302


def test_post_without_csrf_token_is_refused(client, world):
    response = client.post("/login", data={"username": "cw.a", "password": PASSWORD})
    assert response.status_code == 400


def test_disabling_an_account_ends_its_sessions(client, world):
    from referral.services.admin import set_active
    from tests.factories import as_user

    login(client, world.cw_a)
    with as_user(world.admin):
        set_active(world.admin, world.cw_a, False)
        db.session.commit()
    assert client.get("/").status_code == 302


def test_login_events_are_audited(client, world):
    _post_password(client, "cw.a", "wrong-password-1")
    login(client, world.cw_a)
    actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert "login.password_failed" in actions and "login.success" in actions


def test_security_headers(client, world):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
