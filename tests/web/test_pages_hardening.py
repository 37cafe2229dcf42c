"""Small things with real consequences: no row per anonymous visit, API logins in the log under
the account, malformed JSON of any depth a 400, no server version banner."""

from __future__ import annotations

import threading
import urllib.request

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from referral.extensions import db
from referral.models import UserSession
from tests.api.conftest import PROBLEM, assert_problem, bearer, token_for
from tests.factories import PASSWORD, csrf_token, login, totp_now


def test_anonymous_visits_to_the_login_page_write_no_session_row(app, client):
    for _ in range(30):
        assert app.test_client().get("/login").status_code == 200  # each without a cookie
    chosen = client.post("/language", data={"lang": "fr", "next": "/login", "csrf_token": csrf_token(client)})
    assert chosen.status_code == 302  # nor does choosing a language
    assert db.session.execute(select(func.count()).select_from(UserSession)).scalar_one() == 0


def test_the_login_still_works_and_keeps_the_chosen_language(client, world):
    client.post("/language", data={"lang": "fr", "next": "/login", "csrf_token": csrf_token(client)})
    login(client, world.cw_a)
    assert 'lang="fr"' in client.get("/").get_data(as_text=True)
    # One row from the password step on (the pending login), replaced at the second factor.
    live = select(func.count()).select_from(UserSession).where(UserSession.revoked_at.is_(None))
    assert db.session.execute(live).scalar_one() == 1


def test_a_forged_anonymous_cookie_is_ignored(app, client, world):
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], "eyJjc3JmX3Rva2VuIjoieCJ9.forged.signature")
    response = client.post("/login", data={"username": "cw.a", "password": PASSWORD, "csrf_token": "x"})
    assert response.status_code == 400  # the CSRF token it carries is not believed


def test_api_logins_and_tokens_are_logged_under_the_account(client, world):
    response = client.post("/api/v1/auth/token", json={"username": "cw.a", "password": PASSWORD,
                                                       "otp": totp_now(world.cw_a)})
    assert response.status_code == 201
    auditor = token_for(world.auditor)
    events = client.get("/api/v1/audit/events?username=cw.a", headers=bearer(auditor)).get_json()["items"]
    actions = {e["action"] for e in events}
    assert {"login.success", "api_token.create"} <= actions
    assert {e["actor_username"] for e in events if e["action"] in actions} == {"cw.a"}


@pytest.mark.parametrize("body", ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000, "[" * 100_000,
                                  "{,}", "\xff"])
def test_malformed_json_of_any_depth_is_a_400_problem(client, world, body):
    response = client.post("/api/v1/cases", data=body.encode("latin-1"),
                           headers={**bearer(token_for(world.cw_a)), "Content-Type": "application/json"})
    assert response.mimetype == PROBLEM
    assert_problem(response, 400, "bad-request")


def test_the_server_does_not_name_itself_or_its_python(app):
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/healthz") as response:  # noqa: S310
            banner = response.headers.get("Server", "")
    finally:
        server.shutdown()
        thread.join(timeout=5)
    assert "Werkzeug" not in banner and "Python" not in banner and not any(ch.isdigit() for ch in banner)
