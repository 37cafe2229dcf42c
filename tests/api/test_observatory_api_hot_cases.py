"""Hot cases through the API: coordinators only, her governorate only, no identity."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem, bearer, token_for
from tests.factories import make_case
from tests.services.test_hot_cases import decide, flag


def test_the_coalition_lists_and_reads_its_hot_cases(client, world):
    case = make_case(world.cw_a)
    hot = flag(world.cw_a, case)
    decide(world.coordinator, hot, text="Police to call back")
    token = token_for(world.coordinator)

    listing = client.get("/api/v1/observatory/hot-cases", headers=bearer(token))
    assert listing.status_code == 200
    (row,) = listing.get_json()
    assert (row["number"], row["reason"], row["version"]) == (hot.number, "high_risk", 2)
    detail = client.get(f"/api/v1/observatory/hot-cases/{hot.id}", headers=bearer(token))
    assert detail.status_code == 200
    body = detail.get_json()
    assert [d["text"] for d in body["decisions"]] == ["Police to call back"]
    assert case.case_number not in detail.get_data(as_text=True) and "0612345678" not in detail.get_data(as_text=True)
    assert client.get("/api/v1/observatory/hot-cases", query_string={"closed": "true"},
                      headers=bearer(token)).get_json() == []


def test_a_regional_coordinator_sees_only_her_governorates(client, world):
    hot = flag(world.cw_a, make_case(world.cw_a))  # R1
    token = token_for(world.regional_coordinator)  # R2
    assert client.get("/api/v1/observatory/hot-cases", headers=bearer(token)).get_json() == []
    assert_problem(client.get(f"/api/v1/observatory/hot-cases/{hot.id}", headers=bearer(token)), 404)


@pytest.mark.parametrize("who", ["cw_a", "officer_police", "auditor", "admin"])
def test_other_roles_are_refused(client, world, who):
    hot = flag(world.cw_a, make_case(world.cw_a))
    token = token_for(getattr(world, who))
    assert_problem(client.get("/api/v1/observatory/hot-cases", headers=bearer(token)), 403)
    assert_problem(client.get(f"/api/v1/observatory/hot-cases/{hot.id}", headers=bearer(token)), 404)
