"""Duplicate detection as an insider would use it as an oracle: "who supports the woman with this number?"."""

from __future__ import annotations

from referral.extensions import db
from referral.models import AuditEvent, Notification
from referral.services import duplicates
from tests.api.conftest import bearer, token_for
from tests.factories import IDENTITY, login, make_case
from tests.web.test_referrals_journey import open_file_through_form

# Pages are in Arabic by default: "the network coordinator or the other association will contact you".
GENERIC = "سيتصل بكم منسق(ة) الشبكة أو الجمعية الأخرى"


def _told(user, kind):
    return db.session.execute(db.select(Notification).where(Notification.user_id == user.id,
                                                            Notification.kind == kind)).scalars().all()


def test_the_caseworker_learns_only_that_a_duplicate_exists_and_the_owner_learns_who(client, world):
    theirs = make_case(world.cw_b)
    login(client, world.cw_a)
    page = client.get(open_file_through_form(client, phone=IDENTITY["phone"]).headers["Location"]) \
        .get_data(as_text=True)
    assert GENERIC in page and theirs.case_number not in page
    assert page.count("ASSOC-B") == 1  # only in the consent form's list of every agency, never in the message
    told = _told(world.cw_b, "case.possible_duplicate")
    assert len(told) == 1 and told[0].case_id == theirs.id and told[0].params["agency"] == "ASSOC-A"


def test_no_duplicate_no_message(client, world):
    make_case(world.cw_b)
    login(client, world.cw_a)
    page = client.get(open_file_through_form(client).headers["Location"]).get_data(as_text=True)
    assert GENERIC not in page and _told(world.cw_b, "case.possible_duplicate") == []


def test_the_api_says_yes_or_no_and_never_which_agency(client, world):
    make_case(world.cw_b)
    token = token_for(world.cw_a)
    body = client.post("/api/v1/cases", headers=bearer(token), json={
        "full_name": "Salma Tazi", "phone": IDENTITY["phone"], "violence_type": "rape"}).get_json()
    assert body["possible_duplicate"] is True
    assert "possible_duplicates" not in body and "ASSOC-B" not in str(body)


def test_probing_many_numbers_stops_answering_and_alerts_the_auditors(world):
    for i in range(duplicates.ANSWERS_PER_DAY + 1):
        make_case(world.cw_b, phone=f"06000000{i:02d}", national_id=f"AA{i:06d}", full_name=f"Owner {i}")
    answers = [bool(make_case(world.cw_a, phone=f"06000000{i:02d}", national_id=f"ZZ{i:06d}",
                              full_name=f"Probe {i}")._duplicates)
               for i in range(duplicates.ANSWERS_PER_DAY + 1)]
    assert answers == [True] * duplicates.ANSWERS_PER_DAY + [False]
    # The owners are told every time; the auditors once, when the burst began.
    assert len(_told(world.cw_b, "case.possible_duplicate")) == duplicates.ANSWERS_PER_DAY + 1
    alerts = _told(world.auditor, "case.duplicate_burst")
    assert len(alerts) == 1 and alerts[0].params["user"] == "cw.a"
    volume = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "case.duplicate_detected",
                                                            AuditEvent.actor_username == "cw.a")).scalars().all()
    assert [e.details["told"] for e in volume] == answers
