"""Every date and time a page shows is on the reader's clock: her agency's time zone, the
deployment's default without one. Before, the pages showed UTC with no zone named, while the
follow-ups on the same page were in local time.

The instants are in 2026 before 20 September: Morocco was then on UTC+1, and on UTC during
Ramadan, and every tz database agrees on it (tz 2026f keeps Morocco on UTC+0 from that day on,
where a local time would equal UTC and prove nothing)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from referral.extensions import db
from tests.factories import as_user, make_case
from tests.web.test_observatory_pages import english

#: Sunday 15 February 2026: at 03:00 in Casablanca (02:00 UTC) the clock went back to 02:00.
BEFORE_RAMADAN_CHANGE = datetime(2026, 2, 15, 1, 45, tzinfo=UTC)
AFTER_RAMADAN_CHANGE = datetime(2026, 2, 15, 2, 30, tzinfo=UTC)
#: A June morning, 10:30 in Casablanca.
JUNE_MORNING = datetime(2026, 6, 17, 9, 30, tzinfo=UTC)


def _note_at(clock, world, case, instant: datetime, body: str) -> None:
    from referral.services.notes import add_note

    clock.move_to(instant)
    with as_user(world.cw_a):
        add_note(world.cw_a, case, body)
        db.session.commit()


def _shown_time(client, case, body: str) -> str:
    """The time the file page shows beside the note `body`."""
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    article = re.search(r'<article class="note"><p class="meta">([^<]*) — (?:(?!</article>).)*?' + re.escape(body),
                        html, re.S)
    assert article, f"note {body!r} not on the page"
    return article.group(1).strip()


@pytest.mark.parametrize(("instant", "local"), [
    (JUNE_MORNING, "17 Jun 2026 10:30"),  # UTC+1
    (BEFORE_RAMADAN_CHANGE, "15 Feb 2026 02:45"),  # still UTC+1
    (AFTER_RAMADAN_CHANGE, "15 Feb 2026 02:30"),  # UTC during Ramadan: the clock went back
    (datetime(2025, 12, 31, 23, 30, tzinfo=UTC), "1 Jan 2026 00:30"),  # already the new year there
])
def test_a_note_shows_the_time_on_her_agency_s_clock(client, world, clock, instant, local):
    case = make_case(world.cw_a)
    _note_at(clock, world, case, instant, "Called her sister.")
    clock.move_to(instant + timedelta(minutes=5))
    english(client, world.cw_a)
    assert _shown_time(client, case, "Called her sister.") == local


def test_across_the_clock_change_the_later_note_does_not_look_earlier_by_an_hour(client, world, clock):
    """Both notes on one page, 45 minutes apart in fact: 02:45 then 02:30 on the wall clock, the
    order the file keeps being the order they were written."""
    case = make_case(world.cw_a)
    _note_at(clock, world, case, BEFORE_RAMADAN_CHANGE, "Before the change.")
    _note_at(clock, world, case, AFTER_RAMADAN_CHANGE, "After the change.")
    english(client, world.cw_a)
    assert _shown_time(client, case, "Before the change.") == "15 Feb 2026 02:45"
    assert _shown_time(client, case, "After the change.") == "15 Feb 2026 02:30"


def test_an_agency_on_another_clock_reads_its_own(client, world, clock):
    case = make_case(world.cw_a)
    _note_at(clock, world, case, datetime(2027, 6, 16, 9, 30, tzinfo=UTC), "Seen at the office.")
    world.assoc_a.timezone = "Asia/Hebron"  # UTC+3 in June
    db.session.commit()
    english(client, world.cw_a)
    assert _shown_time(client, case, "Seen at the office.") == "16 Jun 2027 12:30"


def test_without_a_reader_the_deployment_s_clock_is_used(app, monkeypatch):
    from referral.web.formatting import when

    monkeypatch.setitem(app.config, "DEFAULT_TIMEZONE", "Africa/Casablanca")
    with app.test_request_context("/"):
        assert when(JUNE_MORNING).endswith("10:30")


def test_the_follow_ups_and_the_notes_of_one_page_share_one_clock(client, world, clock):
    from referral.services import tasks

    case = make_case(world.cw_a)
    _note_at(clock, world, case, JUNE_MORNING, "Planned a call.")
    with as_user(world.cw_a):
        tasks.add_task(world.cw_a, case, kind="call_back", due_local=datetime(2026, 6, 18, 10, 30),
                       assignee_id=world.cw_a.id, note=None)
        db.session.commit()
    english(client, world.cw_a)
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "18/06/2026 10:30" in html  # the follow-up, in the agency's zone as before
    assert _shown_time(client, case, "Planned a call.") == "17 Jun 2026 10:30"


def test_an_instant_shown_as_a_day_is_the_day_on_her_clock(app, monkeypatch):
    """Half an hour before midnight UTC on 31 December 2025 it was already 1 January in Casablanca. (Flask-
    Babel's own date functions would fail here: they expect pytz zones, the pages use `ZoneInfo`.)"""
    from flask_babel import force_locale

    from referral.web.formatting import day

    monkeypatch.setitem(app.config, "DEFAULT_TIMEZONE", "Africa/Casablanca")
    with app.test_request_context("/"), force_locale("en"):
        assert day(datetime(2025, 12, 31, 23, 30, tzinfo=UTC)) == "1 Jan 2026"
        assert day(datetime(2025, 12, 31, 23, 30)) == "1 Jan 2026"  # naive: stored UTC
        assert day("2025-12-31") == "31 Dec 2025"  # a calendar day stays the day it is
