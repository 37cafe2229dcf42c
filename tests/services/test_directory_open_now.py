"""The directory says which services are open now (issue 19, part 4): each agency's hours in its own
time zone, its holidays (national, regional, its own), 24/7 services always; the filter keeps only
those, for whoever reads the directory."""

from __future__ import annotations

from datetime import UTC, datetime

from referral.extensions import db
from referral.models import Holiday
from referral.services.directory import find_services, open_now
from tests.factories import login

WEDNESDAY_1030_CASABLANCA = datetime(2027, 6, 16, 9, 30, tzinfo=UTC)
WEDNESDAY_1800_CASABLANCA = datetime(2027, 6, 16, 17, 0, tzinfo=UTC)


def _open_codes(world, at) -> set[str]:
    services = find_services()
    opened = open_now(services, at)
    return {s.agency.code for s in services if s.agency_id in opened}


def test_office_hours_agencies_are_open_on_a_weekday_morning_and_closed_in_the_evening(world):
    assert {"POLICE", "ASSOC-A", "ASSOC-B", "HOSPITAL"} <= _open_codes(world, WEDNESDAY_1030_CASABLANCA)
    assert _open_codes(world, WEDNESDAY_1800_CASABLANCA) == {"HOSPITAL"}  # 24/7 only


def test_a_holiday_closes_the_office_hours_agencies_of_its_region(world):
    db.session.add(Holiday(day=WEDNESDAY_1030_CASABLANCA.date(), name="Regional day", region_id=world.r1.id))
    db.session.commit()
    opened = _open_codes(world, WEDNESDAY_1030_CASABLANCA)
    assert "POLICE" not in opened and "ASSOC-A" not in opened  # region one
    assert "HOSPITAL" in opened  # 24/7, in region two anyway


def test_an_agency_in_another_time_zone_is_read_in_its_own(world):
    world.assoc_b.timezone = "Asia/Hebron"  # 12:30 there at 09:30 UTC in June; 20:00 at 17:00 UTC
    db.session.commit()
    assert "ASSOC-B" in _open_codes(world, WEDNESDAY_1030_CASABLANCA)
    assert "ASSOC-B" not in _open_codes(world, datetime(2027, 6, 16, 14, 0, tzinfo=UTC))  # 17:00 in Hebron


def test_the_page_filters_and_marks_what_is_open(client, world, clock):
    clock.move_to(WEDNESDAY_1800_CASABLANCA)
    login(client, world.cw_a)
    page = client.get("/directory/?open_now=1").get_data(as_text=True)
    assert "HOSPITAL" in page and "POLICE ar" not in page
    every = client.get("/directory/").get_data(as_text=True)
    assert "POLICE ar" in every and 'class="badge">' in every  # listed, marked closed now
