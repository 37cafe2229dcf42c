"""Every body is checked for its type: an endpoint that reads JSON refuses any other body with 415,
never reads it as an empty one (a PATCH with a form body used to answer 200 as an empty patch)."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from referral.api.bodies import SEND_JSON
from tests.api.conftest import assert_problem, bearer, token_for
from tests.api.test_referrals_loop import NEW_CASE, _open_case


def _case_and_etag(client, token):
    case_id = _open_case(client, token)["id"]
    etag = client.get(f"/api/v1/cases/{case_id}", headers=bearer(token)).headers["ETag"]
    return case_id, etag


@pytest.mark.parametrize(("body", "content_type"), [
    ("age_band=41-60", "application/x-www-form-urlencoded"),
    ('{"age_band": "41-60"}', "text/plain"),
    ('{"age_band": "41-60"}', None),
    ("", None),
])
def test_a_patch_that_is_not_json_is_refused_and_changes_nothing(client, world, body, content_type):
    token = token_for(world.cw_a)
    case_id, etag = _case_and_etag(client, token)
    headers = bearer(token, **{"If-Match": etag, "Accept-Language": "fr"})
    if content_type:
        headers["Content-Type"] = content_type
    response = client.patch(f"/api/v1/cases/{case_id}", data=body, headers=headers)
    problem = assert_problem(response, 415, "unsupported-media-type")
    assert response.headers["Accept-Patch"] == "application/json"
    with force_locale("fr"):
        assert problem["errors"] == [{"field": "Content-Type", "location": "header", "code": "json_required",
                                      "message": str(SEND_JSON)}]
    after = client.get(f"/api/v1/cases/{case_id}", headers=bearer(token))
    assert after.headers["ETag"] == etag  # no version bump
    assert after.get_json()["age_band"] == NEW_CASE["age_band"]


def test_the_same_patch_as_json_is_applied(client, world):
    token = token_for(world.cw_a)
    case_id, etag = _case_and_etag(client, token)
    response = client.patch(f"/api/v1/cases/{case_id}", data='{"age_band": "41-60"}',
                            headers=bearer(token, **{"If-Match": etag, "Content-Type": "application/json"}))
    assert response.status_code == 200
    assert response.get_json()["age_band"] == "41-60"


def test_a_form_posted_to_the_token_endpoint_is_a_415_not_missing_fields(client, world):
    response = client.post("/api/v1/auth/token", data={"username": "cw.a", "password": "x", "code": "123456"})
    assert_problem(response, 415, "unsupported-media-type")


def test_a_problem_json_body_is_json_too(client, world):
    token = token_for(world.cw_a)
    response = client.post("/api/v1/cases", data='{"full_name": "Amina"}',
                           headers=bearer(token, **{"Content-Type": "application/merge-patch+json"}))
    assert_problem(response, 422, "invalid-input")  # read as JSON: the missing fields are named


def test_an_anonymous_caller_is_told_to_authenticate_first(client, world):
    response = client.post("/api/v1/cases", data="full_name=x", content_type="application/x-www-form-urlencoded")
    assert_problem(response, 401, "unauthenticated")
