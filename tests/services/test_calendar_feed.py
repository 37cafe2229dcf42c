"""A caseworker's follow-ups in her phone's calendar (issue 20, part 2): an iCalendar feed at a
secret address shown once, opaque entries (the kind and the time, never her name, the file number
or the note), the address replaced, stopped, and revoked with "log out everywhere"."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from icalendar import Calendar
from sqlalchemy import select

from referral.extensions import db
from referral.models import AuditEvent, User
from referral.services import tasks
from tests.factories import IDENTITY, as_user, csrf_token, login, make_case

FEED = re.compile(r"http://[^\s<\"]+/calendar/([A-Za-z0-9_\-]+)\.ics")


@pytest.fixture
def planned(world):
    world.cw_a.locale = "en"
    case = make_case(world.cw_a)
    with as_user(world.cw_a):
        call = tasks.add_task(world.cw_a, case, kind="call_back", due_local=datetime(2027, 6, 17, 9, 0),
                              assignee_id=world.cw_a.id, note="Ask about the hearing at the Anfa court")
        done = tasks.add_task(world.cw_a, case, kind="accompany", due_local=datetime(2027, 6, 18, 9, 0),
                              assignee_id=world.cw_a.id, note=None)
        tasks.close_task(world.cw_a, case, done.id, "done")
        db.session.commit()
    return case, call


def _issue(client) -> str:
    response = client.post("/account/calendar", data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 200
    match = FEED.search(response.get_data(as_text=True))
    assert match, "the address is shown once, on the page that made it"
    return f"/calendar/{match.group(1)}.ics"


def test_her_calendar_gets_the_kind_and_the_time_and_nothing_about_her(client, other_client, world, planned):
    case, call = planned
    login(client, world.cw_a)
    address = _issue(client)
    response = other_client.get(address)  # a calendar app: no login, no cookie
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "Set-Cookie" not in response.headers
    calendar = Calendar.from_ical(response.data)
    events = [c for c in calendar.walk("VEVENT")]
    assert [str(e["uid"]) for e in events] == [f"{call.id}@masar"]  # the done one is gone
    assert str(events[0]["summary"]) == "Masar · Call her back"
    assert events[0].decoded("dtstart") == call.due_at
    text = response.get_data(as_text=True)
    for secret in (IDENTITY["full_name"], case.case_number, "Anfa", "hearing", world.assoc_a.name("en")):
        assert secret not in text, secret


def test_the_address_is_shown_once_and_stored_as_a_hash(client, world, planned):
    login(client, world.cw_a)
    address = _issue(client)
    secret = address.split("/")[-1].removesuffix(".ics")
    assert secret not in client.get("/account").get_data(as_text=True)
    stored = db.session.get(User, world.cw_a.id)
    db.session.refresh(stored)
    assert stored.calendar_feed_hash and secret not in stored.calendar_feed_hash
    assert db.session.execute(select(AuditEvent.action).where(AuditEvent.action.like("calendar.%"))
                              ).scalars().all() == ["calendar.feed_issue"]


def test_a_new_address_a_stop_or_log_out_everywhere_ends_the_old_one(client, other_client, world, planned):
    login(client, world.cw_a)
    first = _issue(client)
    second = _issue(client)
    assert other_client.get(first).status_code == 404
    assert other_client.get(second).status_code == 200
    client.post("/account/calendar/revoke", data={"csrf_token": csrf_token(client, "/account")})
    assert other_client.get(second).status_code == 404
    third = _issue(client)
    client.post("/logout/everywhere", data={"csrf_token": csrf_token(client, "/account")})
    assert other_client.get(third).status_code == 404


def test_a_closed_account_s_feed_stops(client, other_client, world, planned):
    login(client, world.cw_a)
    address = _issue(client)
    world.cw_a.active = False
    db.session.commit()
    assert other_client.get(address).status_code == 404


@pytest.mark.parametrize("address", ["/calendar/guess.ics", "/calendar/" + "A" * 43 + ".ics",
                                     "/calendar/" + "x" * 500 + ".ics"])
def test_a_guessed_address_finds_nothing(client, world, address):
    assert client.get(address).status_code == 404


@pytest.mark.parametrize("who", ["officer_police", "coordinator", "auditor", "admin"])
def test_only_caseworkers_have_a_feed(client, world, who):
    login(client, getattr(world, who))
    assert 'id="calendar"' not in client.get("/account").get_data(as_text=True)
    response = client.post("/account/calendar", data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 403
    assert db.session.get(User, getattr(world, who).id).calendar_feed_hash is None
