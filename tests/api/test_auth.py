"""Access tokens: obtained like a login, stored hashed, expiring, revocable, throttled, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from referral.extensions import db
from referral.models import ApiToken, AuditEvent
from referral.models.base import utcnow
from referral.security.tokens import token_digest
from referral.services import admin
from tests.api.conftest import assert_problem, bearer, error_fields, token_for
from tests.factories import PASSWORD, as_user, login, totp_now


def _ask(client, user, *, password=PASSWORD, otp=None, **extra):
    return client.post("/api/v1/auth/token", json={"username": user.username, "password": password,
                                                   "otp": otp if otp is not None else totp_now(user), **extra})


def test_a_token_for_password_and_second_factor(client, app, world):
    response = _ask(client, world.cw_a, name="hotline tablet")
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["token_type"] == "Bearer" and len(body["access_token"]) >= 40
    row = db.session.get(ApiToken, body["token_id"])
    # Only the digest is stored; the token itself is nowhere in the database.
    assert row.token_hash == token_digest(body["access_token"]) and row.token_hash != body["access_token"]
    hours = app.config.get("API_TOKEN_HOURS", 8)
    assert abs((row.expires_at - row.created_at) - timedelta(hours=hours)) < timedelta(seconds=1)
    me = client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.get_json()["username"] == "cw.a"
    assert me.get_json()["roles"] == ["caseworker"]
    actions = db.session.execute(select(AuditEvent.action)).scalars().all()
    assert "login.success" in actions and "api_token.create" in actions


def test_wrong_credentials_reveal_nothing(client, world):
    wrong_password = _ask(client, world.cw_a, password="not the password")
    unknown = client.post("/api/v1/auth/token", json={"username": "nobody", "password": "x", "otp": "123456"})
    wrong_code = _ask(client, world.cw_a, otp="000000")
    bodies = [assert_problem(r, 401, "invalid-credentials") for r in (wrong_password, unknown, wrong_code)]
    assert bodies[0] == bodies[1] == bodies[2]
    failures = db.session.execute(select(AuditEvent.action).where(AuditEvent.outcome == "failure")).scalars().all()
    assert failures.count("login.password_failed") == 2 and "login.second_factor_failed" in failures
    missing = client.post("/api/v1/auth/token", json={"username": "cw.a"})
    assert set(error_fields(assert_problem(missing, 422, "invalid-input"))) == {"password", "otp"}


def test_a_code_is_accepted_once(client, world):
    code = totp_now(world.cw_a)
    assert _ask(client, world.cw_a, otp=code).status_code == 201
    assert_problem(_ask(client, world.cw_a, otp=code), 401, "invalid-credentials")


def test_missing_invalid_expired_revoked_tokens_are_refused(client, world):
    missing = client.get("/api/v1/me")
    assert_problem(missing, 401, "unauthenticated")
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(client.get("/api/v1/me", headers={"Authorization": "Basic abc"}), 401, "unauthenticated")
    assert_problem(client.get("/api/v1/me", headers=bearer("made-up")), 401, "invalid-token")

    expired = token_for(world.cw_a, at=utcnow() - timedelta(hours=9))
    assert_problem(client.get("/api/v1/me", headers=bearer(expired)), 401, "invalid-token")

    live = token_for(world.cw_a)
    assert client.get("/api/v1/me", headers=bearer(live)).status_code == 200
    assert client.delete("/api/v1/auth/token", headers=bearer(live)).status_code == 204
    assert_problem(client.get("/api/v1/me", headers=bearer(live)), 401, "invalid-token")

    reasons = db.session.execute(
        select(AuditEvent.details).where(AuditEvent.action == "api.token_rejected")).scalars().all()
    assert sorted(d["reason"] for d in reasons) == ["expired", "revoked", "unknown"]


def test_disabling_the_account_or_changing_the_password_ends_its_tokens(client, world):
    disabled, changed = token_for(world.cw_a), token_for(world.cw_b)
    with as_user(world.admin):
        admin.set_active(world.admin, world.cw_a, False)
        world.cw_b.password_changed_at = utcnow() + timedelta(seconds=1)
        db.session.commit()
    assert_problem(client.get("/api/v1/me", headers=bearer(disabled)), 401, "invalid-token")
    assert_problem(client.get("/api/v1/me", headers=bearer(changed)), 401, "invalid-token")
    assert_problem(_ask(client, world.cw_a), 401, "invalid-credentials")


def test_owner_or_admin_revokes_a_token_by_id(client, world):
    mine, other, admin_token = token_for(world.cw_a), token_for(world.cw_b), token_for(world.admin)
    listed = client.get("/api/v1/auth/tokens", headers=bearer(mine)).get_json()["items"]
    assert len(listed) == 1 and listed[0]["current"] is True
    my_id = listed[0]["id"]
    other_id = client.get("/api/v1/auth/tokens", headers=bearer(other)).get_json()["items"][0]["id"]
    # Someone else's token does not exist for a caseworker.
    assert_problem(client.delete(f"/api/v1/auth/tokens/{other_id}", headers=bearer(mine)), 404)
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 200
    assert client.delete(f"/api/v1/auth/tokens/{other_id}", headers=bearer(admin_token)).status_code == 204
    assert_problem(client.get("/api/v1/me", headers=bearer(other)), 401)
    assert client.delete(f"/api/v1/auth/tokens/{my_id}", headers=bearer(mine)).status_code == 204
    assert_problem(client.get("/api/v1/me", headers=bearer(mine)), 401)
    revocations = db.session.execute(
        select(AuditEvent.actor_username).where(AuditEvent.action == "api_token.revoke")).scalars().all()
    assert sorted(revocations) == ["admin", "cw.a"]


def test_a_browser_session_does_not_authenticate_the_api(client, world):
    login(client, world.cw_a)
    assert client.get("/").status_code == 200
    refused = client.get("/api/v1/cases")
    assert_problem(refused, 401, "unauthenticated")
    assert "Set-Cookie" not in refused.headers
    # Nor does the API need the web's CSRF token: a bearer call without one is accepted.
    token = token_for(world.cw_a)
    response = client.post("/api/v1/cases/search", json={"column": "phone", "value": "0612345678"},
                           headers=bearer(token))
    assert response.status_code == 200


def test_a_flood_of_bad_tokens_is_cut_off_without_growing_the_log(client, world):
    from referral.api.access import REJECTED_TOKENS_PER_ADDRESS

    allowed = REJECTED_TOKENS_PER_ADDRESS.amount
    for n in range(allowed):
        assert_problem(client.get("/api/v1/me", headers=bearer(f"guess-{n}")), 401, "invalid-token")
    for n in range(5):
        cut = client.get("/api/v1/me", headers=bearer(f"more-{n}"))
        assert_problem(cut, 429, "too-many-requests")
        assert cut.headers["Retry-After"] == "60"
    rejected = db.session.execute(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "api.token_rejected")).scalar_one()
    assert rejected == allowed
    # A real token from the same address still works.
    assert client.get("/api/v1/me", headers=bearer(token_for(world.cw_a))).status_code == 200


def test_lockout_and_rate_limit_answer_429(client, app, world):
    threshold = app.config["LOGIN_LOCKOUT_THRESHOLD"]
    for _ in range(threshold):
        assert_problem(_ask(client, world.cw_a, password="wrong"), 401)
    locked = _ask(client, world.cw_a)  # right password and code, but the account is locked for now
    assert_problem(locked, 429, "too-many-requests")
    assert "login.throttled" in db.session.execute(select(AuditEvent.action)).scalars().all()


@pytest.fixture
def tight_login_limit(app):
    previous = app.config["RATELIMIT_LOGIN"]
    app.config["RATELIMIT_LOGIN"] = "2 per minute"
    yield
    app.config["RATELIMIT_LOGIN"] = previous


@pytest.mark.usefixtures("tight_login_limit")
def test_the_token_endpoint_is_rate_limited_like_the_login(client, world):
    for _ in range(2):
        assert_problem(client.post("/api/v1/auth/token", json={"username": "x", "password": "y", "otp": "1"}), 401)
    limited = client.post("/api/v1/auth/token", json={"username": "x", "password": "y", "otp": "1"})
    assert_problem(limited, 429, "too-many-requests")
    assert limited.headers.get("Retry-After")
