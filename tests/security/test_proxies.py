"""Behind a proxy, each client keeps her own address (so her own rate limit) only when the proxy is
trusted; a forwarded request with no trusted proxy configured is said loudly, and refused in
production, rather than letting every user share the proxy's address and its lockouts."""

from __future__ import annotations

import logging

import pytest

from referral import create_app
from referral.extensions import db

WRONG = {"username": "nobody", "password": "wrong", "otp": "000000"}


@pytest.fixture
def make_app(app, database_url):
    made = []

    def make(**overrides):
        fresh = create_app("test", {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_LOGIN": "2 per minute",
                                    **overrides})
        made.append(fresh)
        return fresh.test_client()

    yield make
    for fresh in made:
        with fresh.app_context():
            db.engine.dispose()


def _token(client, forwarded_for=None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post("/api/v1/auth/token", json=WRONG, headers=headers).status_code


def test_a_trusted_proxy_gives_each_client_her_own_limit(make_app):
    client = make_app(TRUSTED_PROXIES=1)
    assert [_token(client, "203.0.113.1") for _ in range(3)] == [401, 401, 429]
    assert _token(client, "203.0.113.2") == 401  # another client behind the same proxy


def test_forwarded_requests_without_trusted_proxies_are_refused_in_production(make_app, caplog):
    client = make_app(TRUSTED_PROXIES=None, REFUSE_UNTRUSTED_FORWARDING=True)
    with caplog.at_level(logging.ERROR, logger="referral.security.proxies"):
        response = client.post("/api/v1/auth/token", json=WRONG, headers={"X-Forwarded-For": "203.0.113.1"})
    assert response.status_code == 503
    assert response.get_json()["reason"] == "proxy_not_trusted"
    assert any("proxy.untrusted" in r.getMessage() and "MASAR_TRUSTED_PROXIES" in r.getMessage()
               for r in caplog.records)
    assert _token(client) == 401  # a request that comes straight in is served
    assert client.get("/livez").status_code == 200


@pytest.mark.parametrize("count", [None, 0])
def test_forwarded_requests_are_served_with_a_warning_when_not_refusing(make_app, caplog, count):
    # Outside production; or in production with MASAR_TRUSTED_PROXIES=0, the operator's word that
    # nothing is in front (the header is then a client's own and is ignored).
    client = make_app(TRUSTED_PROXIES=count, REFUSE_UNTRUSTED_FORWARDING=count is not None)
    with caplog.at_level(logging.ERROR, logger="referral.security.proxies"):
        assert [_token(client, f"203.0.113.{n}") for n in range(3)] == [401, 401, 429]  # one address
    assert any("proxy.untrusted" in r.getMessage() for r in caplog.records)
