"""The observatory's pages: the report, its files (audited, nothing under 5 in them), the scoping
of a regional coordinator, the versions of the form."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from referral.extensions import db
from referral.models import AuditEvent
from tests.factories import csrf_token, login
from tests.services.test_observatory_report import last_quarter, open_files


def english(client, user):
    login(client, user)
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client, "/")})
    return client


@pytest.fixture
def files(world):
    open_files(world.cw_a, 9, region=world.r1, violence_type="rape")
    open_files(world.cw_a, 3, region=world.r1, violence_type="physical_assault")
    open_files(world.cw_a, 8, region=world.r2, violence_type="rape")
    open_files(world.cw_a, 7, region=world.r2, violence_type="physical_assault")
    return world


def small_numbers(values) -> list:
    return [v for v in values if isinstance(v, int) and 0 < v < 5]


def test_the_national_coordinator_downloads_last_quarters_report_as_xlsx(client, files):
    english(client, files.coordinator)
    page = client.get("/observatory")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert last_quarter().code in text and "Region one" in text and "<svg" in text
    for region in (None, files.r1.id):
        query = {"period": last_quarter().code, **({"region": region} if region else {})}
        answer = client.get("/observatory/report.xlsx", query_string=query)
        assert answer.status_code == 200
        assert answer.mimetype.endswith("spreadsheetml.sheet")
        sheet = load_workbook(io.BytesIO(answer.data)).active
        values = [cell.value for row in sheet.iter_rows() for cell in row if row[0].value != "Version of the form"]
        assert small_numbers(values) == []
        assert "<5" in values
    events = db.session.execute(select(AuditEvent).where(AuditEvent.action == "observatory.export")).scalars().all()
    assert sorted((e.details["region_id"] or 0, e.details["format"]) for e in events) == [(0, "xlsx"),
                                                                                          (files.r1.id, "xlsx")]


def test_the_csv_holds_no_small_count(client, files):
    english(client, files.coordinator)
    answer = client.get("/observatory/report.csv")
    assert answer.status_code == 200
    lines = [line for line in answer.get_data(as_text=True).splitlines() if not line.startswith("Version of")]
    numbers = [int(v) for line in lines for v in line.split(",") if v.strip().isdigit()]
    assert small_numbers(numbers) == []


def test_a_regional_coordinator_reaches_only_her_governorate(client, files):
    english(client, files.regional_coordinator)
    own = client.get("/observatory")
    assert own.status_code == 200
    assert "Region two" in own.get_data(as_text=True) and "Region one" not in own.get_data(as_text=True)
    for path in ("/observatory", "/observatory/report.xlsx", "/observatory/report.csv"):
        refused = client.get(path, query_string={"region": files.r1.id})
        assert refused.status_code == 404
    denials = db.session.execute(select(AuditEvent).where(AuditEvent.action == "access.denied")).scalars().all()
    assert len(denials) == 3 and all(d.details["action"] == "observatory:read" for d in denials)


@pytest.mark.parametrize("who", ["cw_a", "officer_police", "auditor", "admin"])
def test_other_roles_are_refused(client, world, who):
    english(client, getattr(world, who))
    assert client.get("/observatory").status_code == 403
    assert client.get("/observatory/report.xlsx").status_code == 403


def test_a_malformed_period_is_a_clear_refusal(client, files):
    english(client, files.coordinator)
    answer = client.get("/observatory", query_string={"period": "2027-Q7"})
    assert answer.status_code == 422
    assert "a quarter (2027-Q2)" in answer.get_data(as_text=True)
    assert client.get("/observatory", query_string={"region": "999999"}).status_code == 422


def test_a_new_version_of_the_form_from_the_page(client, files):
    english(client, files.coordinator)
    form = {"key": "setting", "source": "", "label_ar": "مكان العنف", "label_fr": "Lieu", "label_en": "Place",
            "note": "shorter", "csrf_token": csrf_token(client, "/observatory/indicators")}
    assert client.post("/observatory/indicators", data=form).status_code == 302
    page = client.get("/observatory/indicators").get_data(as_text=True)
    assert "Version 2" in page and "Version 1" in page
    refused = client.post("/observatory/indicators", data={**form, "key": "Bad Key", "label_fr": "Gardé"})
    assert refused.status_code == 422
    assert 'value="Gardé"' in refused.get_data(as_text=True)  # what she typed is kept


def test_the_regional_coordinator_reads_the_versions_but_does_not_change_them(client, world):
    english(client, world.regional_coordinator)
    page = client.get("/observatory/indicators")
    assert page.status_code == 200 and "Save as a new version" not in page.get_data(as_text=True)
    form = {"key": "x_new", "source": "risk_level", "label_ar": "س", "label_fr": "f", "label_en": "e",
            "csrf_token": csrf_token(client, "/observatory/indicators")}
    assert client.post("/observatory/indicators", data=form).status_code == 422


def test_the_menu_links_the_observatory_for_coordinators_only(client, world):
    english(client, world.coordinator)
    assert "/observatory" in client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    english(client, world.cw_a)
    assert 'href="/observatory"' not in client.get("/").get_data(as_text=True)
