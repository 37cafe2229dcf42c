"""One-time codes and lockout slots hold when an attacker sends many requests at the same instant.

The requests are released together by a barrier, each from its own client and connection. These
run on SQLite here and on PostgreSQL in CI's second run of the suite (MASAR_TEST_POSTGRES).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from referral.extensions import db
from referral.models import ApiToken, AuditEvent, UserSession
from referral.services.accounts import replace_recovery_codes
from tests.factories import PASSWORD, csrf_token, race, totp_now

pytestmark = pytest.mark.usefixtures("isolated_clients")


@pytest.fixture
def lenient_lockout(app):
    """A threshold the race cannot reach, so what stops the replays is the single use itself."""
    previous = app.config["LOGIN_LOCKOUT_THRESHOLD"]
    app.config["LOGIN_LOCKOUT_THRESHOLD"] = 100
    yield
    app.config["LOGIN_LOCKOUT_THRESHOLD"] = previous


def _token_requests(app, user, code, count):
    username = user.username  # read here: the test's objects cannot load inside the threads

    def ask():
        client = app.test_client()
        return client.post("/api/v1/auth/token",
                           json={"username": username, "password": PASSWORD, "otp": code}).status_code
    return race([ask] * count)


def _count(statement) -> int:
    db.session.expire_all()
    return db.session.execute(statement).scalar_one()


@pytest.mark.usefixtures("lenient_lockout")
def test_one_totp_code_in_concurrent_token_requests_gives_one_token(app, world):
    statuses = _token_requests(app, world.cw_a, totp_now(world.cw_a), 8)
    assert sorted(statuses) == [201] + [401] * 7
    assert _count(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == world.cw_a.id)) == 1


@pytest.mark.usefixtures("lenient_lockout")
def test_one_recovery_code_in_concurrent_token_requests_gives_one_token(app, world):
    code = replace_recovery_codes(world.cw_a)[0]
    db.session.commit()
    statuses = _token_requests(app, world.cw_a, code, 4)
    assert sorted(statuses) == [201, 401, 401, 401]
    assert _count(select(func.count()).select_from(ApiToken)) == 1


@pytest.mark.usefixtures("lenient_lockout")
def test_one_totp_code_in_concurrent_web_logins_opens_one_session(app, world):
    clients = [app.test_client() for _ in range(6)]
    for client in clients:
        client.post("/login", data={"username": "cw.a", "password": PASSWORD, "csrf_token": csrf_token(client)})
    tokens = [csrf_token(client, "/login/verify") for client in clients]
    code = totp_now(world.cw_a)

    def verify(client, token):
        return lambda: client.post("/login/verify", data={"code": code, "csrf_token": token}).status_code

    statuses = race([verify(c, t) for c, t in zip(clients, tokens, strict=True)])
    assert sorted(statuses) == [302] + [422] * 5
    assert sum(client.get("/").status_code == 200 for client in clients) == 1
    live = select(func.count()).select_from(UserSession).where(
        UserSession.user_id == world.cw_a.id, UserSession.revoked_at.is_(None))
    assert _count(live) == 1


def test_concurrent_wrong_codes_get_no_more_guesses_than_the_threshold(app, world):
    threshold = app.config["LOGIN_LOCKOUT_THRESHOLD"]
    statuses = _token_requests(app, world.cw_a, "000000", 25)
    assert statuses.count(401) == threshold and statuses.count(429) == 25 - threshold
    evaluated = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "login.second_factor_failed")
    assert _count(evaluated) == threshold
    # Locked now, even for the right code: the guesses were counted, not lost in the race.
    assert _token_requests(app, world.cw_a, totp_now(world.cw_a), 1) == [429]
