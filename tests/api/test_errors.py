"""Every error under /api is an RFC 9457 problem, in the caller's language, never echoing input."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from referral.api.errors import TITLES
from referral.services.errors import MESSAGES
from tests.api.conftest import PROBLEM, assert_problem, bearer, token_for


def test_unknown_routes_and_methods_are_problems_not_pages(client, world):
    token = token_for(world.cw_a)
    assert_problem(client.get("/api/v1/nothing-here", headers=bearer(token)), 404, "not-found")
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not-found")  # no login redirect either
    assert_problem(client.post("/api/v2/cases", json={}), 404)
    wrong_method = client.put("/api/v1/cases", headers=bearer(token))
    assert_problem(wrong_method, 405, "method-not-allowed")
    assert set(wrong_method.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert_problem(client.get("/api/v1/cases/not-a-uuid", headers=bearer(token)), 404)
    assert_problem(client.get("/api/v1/cases/00000000-0000-0000-0000-000000000000", headers=bearer(token)), 404)
    # The web keeps its own error pages.
    page = client.get("/no-such-page")
    assert page.status_code in (302, 404) and page.mimetype != PROBLEM


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_titles_and_messages_follow_accept_language(client, world, language):
    token = token_for(world.cw_a)
    response = client.post("/api/v1/cases", json={"full_name": "X", "violence_type": "rape", "phone": "12"},
                           headers=bearer(token, **{"Accept-Language": f"{language},en;q=0.5"}))
    body = assert_problem(response, 422, "invalid-input")
    with force_locale(language):
        expected_message = str(MESSAGES["invalid_phone"])
        expected_title = str(TITLES["invalid-input"])
    with force_locale("en"):
        english = str(MESSAGES["invalid_phone"])
    assert expected_message != english  # the catalogue translates it: the test can tell
    assert body["errors"][0]["message"] == expected_message
    assert body["title"] == expected_title
    assert "12" not in response.get_data(as_text=True)  # input is never echoed


def test_english_when_asked(client, world):
    response = client.get("/api/v1/me", headers={"Accept-Language": "en"})
    assert assert_problem(response, 401)["title"] == "Authentication is required"


def test_problem_types_are_stable_uris(client, world):
    token = token_for(world.cw_a)
    kinds = {
        assert_problem(client.get("/api/v1/me"), 401)["type"],
        assert_problem(client.get("/api/v1/audit/verify", headers=bearer(token)), 403)["type"],
        assert_problem(client.get("/api/v1/referrals?box=elsewhere", headers=bearer(token)), 422)["type"],
    }
    assert kinds == {"urn:masar:problem:unauthenticated", "urn:masar:problem:forbidden",
                     "urn:masar:problem:invalid-input"}


def test_query_errors_name_the_parameter(client, world):
    token = token_for(world.cw_a)
    body = assert_problem(client.get("/api/v1/cases?page=0&status=maybe", headers=bearer(token)), 422)
    assert {(e["field"], e["location"], e["code"]) for e in body["errors"]} == {
        ("page", "query", "invalid"), ("status", "query", "unknown_value")}


def test_schema_errors_have_codes_and_translated_messages(client, world):
    token = token_for(world.cw_a)
    response = client.post("/api/v1/cases", json={"violence_type": "rape", "surprise": 1},
                           headers=bearer(token, **{"Accept-Language": "fr"}))
    errors = {e["field"]: e for e in assert_problem(response, 422)["errors"]}
    assert errors["full_name"]["code"] == "required" and errors["surprise"]["code"] == "unknown_field"
    with force_locale("fr"):
        assert errors["full_name"]["message"] == str(MESSAGES["required"])
