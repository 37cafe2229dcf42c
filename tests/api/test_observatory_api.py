"""The observatory through the API: the report as JSON and XLSX with the pages' suppression, the
versions of the form, coordinators only, a regional coordinator in her governorate only."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.api.conftest import assert_problem, bearer, error_fields, token_for
from tests.services.test_observatory_report import last_quarter, open_files
from tests.web.test_observatory_pages import files, small_numbers  # noqa: F401


def test_the_report_as_json_has_the_pages_suppression(client, files):  # noqa: F811
    answer = client.get("/api/v1/observatory/report", query_string={"period": last_quarter().code},
                        headers=bearer(token_for(files.coordinator)))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["period"] == last_quarter().code and body["region_id"] is None and body["version"] == 1
    violence = next(t for t in body["tables"] if t["key"] == "violence_type")
    every = [v for t in body["tables"] for r in [*t["rows"], t["totals"]] for v in [*r["cells"], r["total"]]]
    assert small_numbers(every) == []
    assert None in violence["rows"][0]["cells"]


def test_the_report_as_xlsx(client, files):  # noqa: F811
    answer = client.get("/api/v1/observatory/report.xlsx", query_string={"region_id": files.r2.id},
                        headers=bearer(token_for(files.coordinator), **{"Accept-Language": "en"}))
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.data)).active
    assert small_numbers([c.value for row in sheet.iter_rows() for c in row
                          if row[0].value != "Version of the form"]) == []


def test_a_regional_coordinator_gets_her_governorate_only(client, world):
    open_files(world.cw_a, 6, region=world.r2)
    token = token_for(world.regional_coordinator)
    own = client.get("/api/v1/observatory/report", headers=bearer(token)).get_json()
    assert own["region_id"] == world.r2.id
    assert {r["region_id"] for t in own["tables"] for r in t["rows"]} == {world.r2.id}
    assert all(t["totals"] is None for t in own["tables"])
    for path in ("/api/v1/observatory/report", "/api/v1/observatory/report.xlsx"):
        assert_problem(client.get(path, query_string={"region_id": world.r1.id}, headers=bearer(token)), 404)


@pytest.mark.parametrize("who", ["cw_a", "officer_police", "auditor", "admin"])
def test_other_roles_are_refused(client, world, who):
    token = token_for(getattr(world, who))
    assert_problem(client.get("/api/v1/observatory/report", headers=bearer(token)), 403)
    assert_problem(client.get("/api/v1/observatory/report.xlsx", headers=bearer(token)), 403)


@pytest.mark.parametrize(("query", "field"), [
    ({"period": "2027-Q9"}, "period"), ({"period": "1999"}, "period"), ({"region_id": 99999}, "region_id"),
    ({"form_version": 7}, "form_version"),
])
def test_malformed_input_is_a_422_naming_the_field(client, world, query, field):
    body = assert_problem(client.get("/api/v1/observatory/report", query_string=query,
                                     headers=bearer(token_for(world.coordinator))), 422)
    assert field in error_fields(body)


def test_the_versions_of_the_form(client, world):
    answer = client.get("/api/v1/observatory/indicator-sets", headers=bearer(token_for(world.coordinator)))
    assert answer.status_code == 200
    (first,) = answer.get_json()
    keys = [i["key"] for i in first["indicators"]]
    assert first["version"] == 1 and keys[0] == "violence_type" and "outcome" in keys
    violence = first["indicators"][0]
    assert [c["code"] for c in violence["categories"]][:2] == ["rape", "sexual_assault"]
    assert set(violence["labels"]) == {"ar", "fr", "en"}
    assert_problem(client.get("/api/v1/observatory/indicator-sets", headers=bearer(token_for(world.cw_a))), 403)


def test_the_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"/api/v1/observatory/report", "/api/v1/observatory/report.xlsx",
            "/api/v1/observatory/indicator-sets"} <= set(paths)
