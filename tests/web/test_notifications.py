"""The notification centre can be read: filters by kind, unread only, and files without activity
collapsed into one line per day."""

from __future__ import annotations

import re
from datetime import timedelta

from referral.extensions import db
from referral.models import Notification
from referral.models.base import utcnow
from referral.services.notification_lists import DIGEST_NAMES
from tests.factories import csrf_token, login


def english(client) -> None:
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client, "/")})


def _notify(user, kind, reference, *, days_ago=0, read=False):
    at = utcnow() - timedelta(days=days_ago)
    db.session.add(Notification(user_id=user.id, kind=kind, params={"reference": reference}, created_at=at,
                                read_at=at if read else None))


def test_files_without_activity_are_one_line_per_day_and_the_rest_stays_readable(client, world):
    for i in range(12):
        _notify(world.cw_a, "case.stalled", f"CAS-2027-{i:06d}")
    for i in range(3):
        _notify(world.cw_a, "case.stalled", f"CAS-2026-{i:06d}", days_ago=2, read=True)
    _notify(world.cw_a, "referral.decline", "REF-2027-000001")
    _notify(world.cw_a, "referral.breach", "REF-2027-000002", read=True)
    db.session.commit()
    login(client, world.cw_a)
    english(client)
    page = client.get("/notifications/").get_data(as_text=True)

    digest = page.split('class="panel stalled-digest"')[1].split("</section>")[0]
    lines = re.findall(r"<li[^>]*>(.*?)</li>", digest, re.S)
    assert len(lines) == 2
    assert "12 files have had no activity for a long time" in lines[0] and "and 4 more" in lines[0]
    assert len(re.findall(r'class="ref"', lines[0])) == DIGEST_NAMES
    assert "3 files have had no activity" in lines[1] and "more" not in lines[1]
    listing = page.split('<ul class="notifications plain">')[1]
    assert "REF-2027-000001" in listing and "REF-2027-000002" in listing and "CAS-2027" not in listing

    overdue = client.get("/notifications/?kind=overdue").get_data(as_text=True)
    assert "REF-2027-000002" in overdue and "REF-2027-000001" not in overdue and "stalled-digest" not in overdue
    stalled = client.get("/notifications/?kind=stalled").get_data(as_text=True)
    assert stalled.count("has had no activity for a long time") == 15
    unread = client.get("/notifications/?unread=1").get_data(as_text=True)
    assert "REF-2027-000001" in unread and "REF-2027-000002" not in unread
    assert "3 files have had no activity" not in unread  # that day was read
    # An unknown filter is everything, not an error page or an empty list.
    assert "REF-2027-000001" in client.get("/notifications/?kind=%3Cscript%3E").get_data(as_text=True)


def test_she_sees_only_her_own_notifications(client, world):
    _notify(world.cw_b, "referral.send", "REF-2027-000009")
    _notify(world.cw_b, "case.stalled", "CAS-2027-000009")
    db.session.commit()
    login(client, world.cw_a)
    for url in ("/notifications/", "/notifications/?kind=stalled", "/notifications/?kind=referrals"):
        page = client.get(url).get_data(as_text=True)
        assert "000009" not in page


def test_filters_keep_paging(client, world):
    for i in range(35):
        _notify(world.cw_a, "referral.send", f"REF-2027-{i:06d}")
    db.session.commit()
    login(client, world.cw_a)
    page = client.get("/notifications/?kind=referrals&unread=1").get_data(as_text=True)
    import html

    next_link = html.unescape(re.search(r'<nav class="pagination".*?href="([^"]+)"', page, re.S).group(1))
    assert "page=2" in next_link and "kind=referrals" in next_link and "unread=1" in next_link
