"""Managing the directory: agencies with their calendars, services, holidays."""

from __future__ import annotations

from referral.extensions import db
from referral.models import Agency, AuditEvent, Holiday, Service
from tests.factories import csrf_token, login

AGENCY = {"code": "shelter-fes", "kind": "public_service", "sector": "social", "name_ar": "مركز الإيواء بفاس",
          "name_fr": "Centre d'hébergement de Fès", "name_en": "Fez shelter", "region_id": "",
          "timezone": "Africa/Casablanca", "active": "y", "hours_0": "08:30-12:00, 14:00-16:30",
          "hours_4": "8:30-12:00"}


def test_coordinator_adds_an_agency_with_its_calendar_and_a_service(client, world):
    login(client, world.coordinator)
    token = csrf_token(client, "/directory/agencies/new")
    response = client.post("/directory/agencies/new", data=AGENCY | {"csrf_token": token})
    assert response.status_code == 302
    agency = db.session.execute(db.select(Agency).where(Agency.code == "SHELTER-FES")).scalar_one()
    assert agency.opening_hours == {"0": [["08:30", "12:00"], ["14:00", "16:30"]], "4": [["08:30", "12:00"]]}
    url = f"/directory/agencies/{agency.id}/services/new"
    client.post(url, data={"category": "shelter", "name_ar": "إيواء", "name_fr": "Hébergement", "name_en": "Shelter",
                           "regions": [str(world.r1.id)], "active": "y", "csrf_token": csrf_token(client, url)})
    service = db.session.execute(db.select(Service).where(Service.agency_id == agency.id)).scalar_one()
    assert [r.id for r in service.regions] == [world.r1.id]
    assert "directory.agency_create" in {e.action for e in db.session.execute(db.select(AuditEvent)).scalars()}


def test_bad_hours_are_refused_and_the_form_keeps_its_values(client, world):
    login(client, world.admin)
    response = client.post("/directory/agencies/new", data=AGENCY | {
        "hours_0": "16:30-08:30", "csrf_token": csrf_token(client, "/directory/agencies/new")})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "16:30-08:30" in html and "مركز الإيواء بفاس" in html
    assert db.session.execute(db.select(Agency).where(Agency.code == "SHELTER-FES")).first() is None


def test_holidays(client, world):
    login(client, world.coordinator)
    token = csrf_token(client, "/directory/holidays")
    client.post("/directory/holidays", data={"day": "2026-12-25", "name": "Test day", "csrf_token": token})
    holiday = db.session.execute(db.select(Holiday)).scalar_one()
    again = client.post("/directory/holidays", data={"day": "2026-12-25", "name": "Twice", "csrf_token": token})
    assert again.status_code == 422 and db.session.execute(db.select(Holiday)).scalars().all() == [holiday]
    client.post(f"/directory/holidays/{holiday.id}/delete", data={"csrf_token": token})
    assert db.session.execute(db.select(Holiday)).first() is None


def test_caseworkers_and_officers_cannot_manage(client, world):
    for user in (world.cw_a, world.officer_police, world.auditor):
        login(client, user)
        assert client.get("/directory/agencies").status_code == 403
        assert client.get("/directory/holidays").status_code == 403
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
