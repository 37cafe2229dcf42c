"""Helpers for the API tests: bearer tokens per user, JSON calls, problem assertions."""

from __future__ import annotations

import pytest

from referral.extensions import db, limiter
from referral.services import api_tokens as tokens
from tests.factories import as_user

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Every test client is 127.0.0.1: the token endpoint's limit must not carry over between tests.
    limiter.reset()
    yield
    limiter.reset()


def token_for(user, **kwargs) -> str:
    """A live token, issued as the token endpoint would (the endpoint itself is tested on its own)."""
    with as_user(user):
        secret, _row = tokens.issue(user, **kwargs)
        db.session.commit()
    return secret


def bearer(token: str, **headers) -> dict:
    return {"Authorization": f"Bearer {token}", **headers}


def assert_problem(response, status: int, kind: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == PROBLEM, response.mimetype
    body = response.get_json()
    assert body["status"] == status
    assert body["title"] and body["detail"]
    if kind is not None:
        assert body["type"] == f"urn:masar:problem:{kind}", body
    return body


def error_fields(body: dict) -> list[str]:
    return [e["field"] for e in body["errors"]]
