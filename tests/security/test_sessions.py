"""Server-side sessions: idle timeout, absolute lifetime, revocation everywhere."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from referral.extensions import db
from referral.models import RecoveryCode, UserSession
from referral.models.base import utcnow
from tests.factories import CSRF_RE, PASSWORD, csrf_token, login


def _age_sessions(**fields):
    db.session.execute(update(UserSession).where(UserSession.user_id.is_not(None)).values(**fields))
    db.session.commit()


def test_idle_session_ends_after_fifteen_minutes(client, world):
    login(client, world.cw_a)
    assert client.get("/").status_code == 200
    _age_sessions(last_seen_at=utcnow() - timedelta(minutes=16))
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="notice"' in page  # "your session ended after a period of inactivity"


def test_activity_keeps_the_session_alive(client, world):
    login(client, world.cw_a)
    _age_sessions(last_seen_at=utcnow() - timedelta(minutes=14))
    assert client.get("/").status_code == 200
    _age_sessions(last_seen_at=utcnow() - timedelta(minutes=14))
    assert client.get("/").status_code == 200


def test_absolute_lifetime_ends_even_an_active_session(client, world):
    login(client, world.cw_a)
    _age_sessions(expires_at=utcnow() - timedelta(seconds=1))
    assert client.get("/").status_code == 302


def test_logout_everywhere_ends_every_session(client, other_client, world):
    login(client, world.cw_a)
    login(other_client, world.cw_a)
    client.post("/logout/everywhere", data={"csrf_token": csrf_token(client, "/")})
    assert client.get("/").status_code == 302
    assert other_client.get("/").status_code == 302


def test_password_change_ends_other_sessions_and_keeps_this_one(client, other_client, world):
    login(client, world.cw_a)
    login(other_client, world.cw_a)
    new = "a much longer new passphrase 2026"
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": new, "confirm_password": new,
        "csrf_token": csrf_token(client, "/account/password")})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other_client.get("/").status_code == 302


def test_weak_new_password_is_refused_with_the_reason(client, world):
    login(client, world.cw_a)
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "short", "confirm_password": "short",
        "csrf_token": csrf_token(client, "/account/password")})
    assert response.status_code == 422
    assert 'class="errors"' in response.get_data(as_text=True)


def test_enrolment_shows_a_qr_code_and_gives_recovery_codes_once(client, world):
    from referral.services import admin
    from tests.factories import as_user

    with as_user(world.admin):
        admin.clear_second_factor(world.cw_a)  # as a lead's approval of the admin's reset does
        db.session.commit()
    client.post("/login", data={"username": "cw.a", "password": PASSWORD, "csrf_token": csrf_token(client)})
    page = client.get("/login/enrol").get_data(as_text=True)
    # The QR code is drawn by the server; the only script is the quick exit's, from our own static files.
    scripts = re.findall(r"<script[^>]*>", page)
    assert "<svg" in page and [re.sub(r"\?v=[0-9a-f]+", "", s) for s in scripts] == [
        '<script src="/static/js/quick-exit.js" defer>', '<script src="/static/js/forms.js" defer>']
    token = CSRF_RE.search(page)
    import pyotp

    from referral.services.accounts import totp_secret

    db.session.expire_all()
    secret = totp_secret(db.session.get(type(world.cw_a), world.cw_a.id))
    done = client.post("/login/enrol", data={"code": pyotp.TOTP(secret).now(),
                                             "csrf_token": token.group(1) or token.group(2)})
    codes = [c for c in done.get_data(as_text=True).split("<code>")[1:]]
    assert len(codes) == 10
    assert db.session.query(RecoveryCode).filter_by(user_id=world.cw_a.id).count() == 10
    assert client.get("/").status_code == 200


def test_a_recovery_code_works_once(client, other_client, world):
    from referral.services.accounts import replace_recovery_codes

    codes = replace_recovery_codes(world.cw_a)
    db.session.commit()
    for c in (client, other_client):
        c.post("/login", data={"username": "cw.a", "password": PASSWORD, "csrf_token": csrf_token(c)})
    first = client.post("/login/verify", data={"code": codes[0], "csrf_token": csrf_token(client, "/login/verify")})
    assert first.status_code == 302 and client.get("/").status_code == 200
    again = other_client.post("/login/verify", data={"code": codes[0],
                                                     "csrf_token": csrf_token(other_client, "/login/verify")})
    assert again.status_code == 422 and other_client.get("/").status_code == 302


def test_login_rate_limit_answers_429(app, client, world):
    limit = int(app.config["RATELIMIT_LOGIN"].split(" ")[0])
    token = csrf_token(client)
    statuses = [client.post("/login", data={"username": f"u{i}", "password": "x" * 12, "csrf_token": token})
                .status_code for i in range(limit + 1)]
    assert statuses[-1] == 429 and 429 not in statuses[:limit]
