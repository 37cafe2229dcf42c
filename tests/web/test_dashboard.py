"""The coordinator's dashboard pages as coordinators, and everybody else, see them."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from referral.extensions import db
from referral.models import AuditEvent, Notification, Referral
from referral.models.base import utcnow
from referral.models.vocab import AgencyKind, TimerKind
from referral.models.vocab import ServiceCategory as C
from referral.services.consents import record_consent
from referral.workflows.engine import fire
from tests.factories import (
    IDENTITY,
    as_user,
    consent_and_refer,
    csrf_token,
    login,
    make_agency,
    make_case,
    record_breach,
)

#: Data built relative to the clock meets the national holidays when the clock is near one.
pytestmark = pytest.mark.usefixtures("national_holidays")

SURVIVOR_VALUES = [v for v in IDENTITY.values() if v]
ROW = re.compile(r"<tr[^>]*>\s*<th scope=\"row\">(?P<name>[^<]+)</th>(?P<cells>.*?)</tr>", re.S)


def english(client) -> None:
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client, "/")})


def as_coordinator(client, user):
    login(client, user)
    english(client)
    return client


def _act(referral, user, action, minutes, **kwargs):
    with as_user(user):
        fire(referral, action, user, at=referral.sent_at + timedelta(minutes=minutes), **kwargs)
        db.session.commit()


@pytest.fixture
def network(world):
    """Twenty days ago: six urgent police referrals (five acknowledged and waiting, one declined),
    two legal ones (a group too small to show); twelve days ago five emergencies at the hospital
    (region two)."""
    sent = utcnow() - timedelta(days=20)
    case = make_case(world.cw_a)
    police = [consent_and_refer(world.cw_a, case, world.service(world.police, C.POLICE_PROTECTION),
                                urgency="urgent", at=sent + timedelta(hours=i)) for i in range(6)]
    for i, referral in enumerate(police[:5]):
        _act(referral, world.officer_police, "acknowledge", 30 * (i + 1))
    _act(police[5], world.officer_police, "decline", 90, reason="no_capacity")
    legal = [consent_and_refer(world.cw_a, case, world.service(world.assoc_b, C.LEGAL), urgency="standard",
                               at=sent + timedelta(days=1, hours=i)) for i in range(2)]
    for referral in legal:
        _act(referral, world.cw_b, "acknowledge", 60)
    # A week after the police ones: "2 business days" can span a weekend and two holidays, so only
    # a gap longer than that keeps the police referrals the most overdue on every weekday.
    hospital = [consent_and_refer(world.cw_a, case, world.service(world.hospital, C.MEDICAL), urgency="emergency",
                                  at=sent + timedelta(days=8, minutes=10 * i)) for i in range(5)]
    for referral in hospital:
        _act(referral, world.officer_hospital, "accept", 10)
    # The sweep recorded that the first police referral missed its decision time.
    timer = next(t for t in police[0].timers if t.kind == TimerKind.DECIDE)
    record_breach(police[0], TimerKind.DECIDE, timer.due_at + timedelta(minutes=1))
    return {"case": case, "police": police, "legal": legal, "hospital": hospital}


def rows(page: str) -> dict[str, list[str]]:
    table = page.split('class="list dashboard-table"', 1)[1].split("</table>", 1)[0]
    found = {}
    for match in ROW.finditer(table):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", match["cells"], re.S)
        found[html.unescape(match["name"]).strip()] = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                                                       for c in cells]
    return found


def test_dashboard_shows_groups_totals_and_a_chart(client, world, network):
    page = as_coordinator(client, world.coordinator).get("/dashboard").get_data(as_text=True)
    assert "<svg" in page and 'class="bar bar-sent' in page
    table = rows(page)
    assert table["POLICE en"][:4] == ["6", "5", "5", "16.7%"]  # sent, open, overdue, share with a breach
    assert table["HOSPITAL en"][:3] == ["5", "5", "5"]
    # A group of two referrals: nothing but "<5".
    assert table["ASSOC-B en"][:3] == ["<5", "<5", "<5"] and "—" in table["ASSOC-B en"]
    # The overdue figure of a group links to its drill-down.
    assert f"/dashboard/overdue?agency={world.police.id}" in page
    for value in SURVIVOR_VALUES:
        assert html.escape(value) not in page and value not in page
    assert "≈" not in page and "estimated" not in page


def test_large_populations_show_estimated_times(client, world, network, monkeypatch):
    from referral.services import metrics

    monkeypatch.setattr(metrics, "EXACT_PERCENTILES_UP_TO", 10)
    page = as_coordinator(client, world.coordinator).get("/dashboard").get_data(as_text=True)
    police = rows(page)["POLICE en"]
    assert police[:4] == ["6", "5", "5", "16.7%"] and police[4].startswith("≈ ")
    assert "estimated from daily figures, within 10 % of the exact value" in page
    export = client.get("/dashboard/export.csv").get_data(as_text=True)
    assert export.splitlines()[0].endswith(",percentiles") and export.splitlines()[1].endswith(",estimated")


def test_grouping_tabs(client, world, network):
    as_coordinator(client, world.coordinator)
    by_urgency = rows(client.get("/dashboard?by=urgency").get_data(as_text=True))
    assert set(by_urgency) == {"Urgent", "Emergency", "Standard"} and by_urgency["Standard"][0] == "<5"
    by_service = rows(client.get("/dashboard?by=service").get_data(as_text=True))
    assert by_service["Medical care"][0] == "5"
    by_region = rows(client.get("/dashboard?by=region").get_data(as_text=True))
    assert by_region["Region one"][0] == "8" and by_region["Region two"][0] == "5"
    # An unknown grouping falls back to agencies.
    assert "POLICE en" in rows(client.get("/dashboard?by=case_number").get_data(as_text=True))


def test_period_and_filters(client, world, network):
    as_coordinator(client, world.coordinator)
    today = utcnow().date()
    old = client.get(f"/dashboard?date_from={today - timedelta(days=400)}&date_to={today - timedelta(days=100)}")
    assert old.status_code == 200 and "No referral was sent in this period." in old.get_data(as_text=True)
    only_r2 = rows(client.get(f"/dashboard?region={world.r2.id}").get_data(as_text=True))
    assert set(only_r2) == {"HOSPITAL en"}
    urgent = rows(client.get("/dashboard?urgency=urgent").get_data(as_text=True))
    assert set(urgent) == {"POLICE en"}


def test_bad_period_keeps_what_was_typed_and_explains(client, world, network):
    as_coordinator(client, world.coordinator)
    response = client.get("/dashboard?date_from=2026-03-10&date_to=2026-03-01&urgency=urgent")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The end date is before the start date." in page
    assert 'value="10/03/2026"' in page and '<option selected value="urgent">' in page
    too_long = client.get("/dashboard?date_from=2024-01-01&date_to=2026-01-01").get_data(as_text=True)
    assert "Choose a period of at most 366 days." in too_long
    assert client.get("/dashboard?region=not-a-number").status_code == 400


def test_regional_coordinator_sees_only_her_region(client, world, network):
    page = as_coordinator(client, world.regional_coordinator).get("/dashboard").get_data(as_text=True)
    assert set(rows(page)) == {"HOSPITAL en"}
    assert "POLICE en" not in page  # not even as a filter choice
    # Choosing another region by hand is refused, not answered with its figures.
    assert client.get(f"/dashboard?region={world.r1.id}").status_code == 400
    overdue = client.get("/dashboard/overdue").get_data(as_text=True)
    assert network["hospital"][0].reference in overdue and network["police"][0].reference not in overdue
    outside = client.get(f"/dashboard/referrals/{network['police'][0].id}")
    assert outside.status_code == 404


@pytest.mark.parametrize("role", ["cw_a", "officer_police", "auditor", "admin"])
def test_other_roles_are_refused(client, world, network, role):
    login(client, getattr(world, role))
    referral = network["police"][0]
    for path in ("/dashboard", "/dashboard/overdue", "/dashboard/declined", "/dashboard/export.csv",
                 f"/dashboard/referrals/{referral.id}"):
        assert client.get(path).status_code == 403, path
    token = csrf_token(client, "/")
    assert client.post(f"/dashboard/referrals/{referral.id}/remind", data={"csrf_token": token}).status_code == 403
    assert db.session.execute(select(func.count()).select_from(Notification)
                              .where(Notification.kind == "referral.reminder")).scalar() == 0


def test_anonymous_visitors_are_sent_to_login(client, world):
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_overdue_drill_down(client, world, network):
    as_coordinator(client, world.coordinator)
    page = client.get("/dashboard/overdue").get_data(as_text=True)
    for referral in network["police"][:5] + network["hospital"] + network["legal"]:
        assert referral.reference in page
    assert network["police"][5].reference not in page  # declined: not open
    assert "overdue by" in page and "Send a reminder" in page
    for value in SURVIVOR_VALUES:
        assert value not in page and html.escape(value) not in page
    # Longest overdue first: the police referrals (due first) come before the hospital's.
    assert page.index(network["police"][0].reference) < page.index(network["hospital"][0].reference)
    only_police = client.get(f"/dashboard/overdue?agency={world.police.id}").get_data(as_text=True)
    assert network["hospital"][0].reference not in only_police


def test_overdue_drill_down_pages(client, world, network, monkeypatch):
    from referral.web import dashboard

    monkeypatch.setattr(dashboard, "PAGE_SIZE", 5)
    as_coordinator(client, world.coordinator)
    first = client.get("/dashboard/overdue").get_data(as_text=True)
    assert 'rel="next"' in first
    refs = set(re.findall(r"REF-\d{4}-\d{6}", first))
    seen = set(refs)
    page = 2
    while True:
        body = client.get(f"/dashboard/overdue?page={page}").get_data(as_text=True)
        found = set(re.findall(r"REF-\d{4}-\d{6}", body))
        assert not found & seen
        seen |= found
        if 'rel="next"' not in body:
            break
        page += 1
    assert len(seen) == 12


def test_declined_list_leads_to_reassignment(client, world, network):
    as_coordinator(client, world.coordinator)
    page = client.get("/dashboard/declined").get_data(as_text=True)
    declined = network["police"][5]
    assert declined.reference in page and network["police"][0].reference not in page
    assert f"/dashboard/referrals/{declined.id}#reassign" in page


def read_csv(response) -> list[dict]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_csv_export_is_suppressed_and_audited(client, world, network):
    as_coordinator(client, world.coordinator)
    response = client.get("/dashboard/export.csv?by=agency")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = {row["name"]: row for row in read_csv(response)}
    assert table["All referrals"]["dimension"] == "all" and table["All referrals"]["sent"] == "13"
    police = table["POLICE en"]
    assert (police["key"], police["sent"], police["open"], police["overdue"]) == (str(world.police.id), "6", "5", "5")
    # 30, 60, 90, 120, 150 and the decline's 90: (90 + 90) / 2.
    assert float(police["acknowledge_median_minutes"]) == pytest.approx(90)
    small = table["ASSOC-B en"]
    assert (small["sent"], small["open"], small["acknowledge_median_minutes"], small["breach_rate"]) == (
        "<5", "<5", "", "")
    text = response.get_data(as_text=True)
    for value in SURVIVOR_VALUES:
        assert value not in text
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "dashboard.export")).scalar_one()
    assert event.actor_user_id == world.coordinator.id and event.details["by"] == "agency"
    assert event.details["groups"] == 3


def test_csv_with_bad_filters_is_refused_and_not_logged(client, world, network):
    as_coordinator(client, world.coordinator)
    assert client.get("/dashboard/export.csv?date_from=yesterday").status_code == 400
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "dashboard.export")).first() is None


def test_coordinator_referral_page_shows_metadata_and_the_reminder(client, world, network):
    as_coordinator(client, world.coordinator)
    referral = network["police"][0]
    page = client.get(f"/dashboard/referrals/{referral.id}").get_data(as_text=True)
    assert referral.reference in page and "POLICE en" in page and "Send a reminder" in page
    assert "Send to this service" not in page  # not declined
    for value in SURVIVOR_VALUES:
        assert value not in page and html.escape(value) not in page
    read = db.session.execute(select(AuditEvent).where(AuditEvent.action == "referral.read")).scalars().all()
    assert [e.object_id for e in read] == [str(referral.id)]


def test_reminder_from_the_drill_down(client, world, network):
    as_coordinator(client, world.coordinator)
    referral = network["police"][0]
    before = (referral.status, referral.version)
    token = csrf_token(client, "/dashboard/overdue")
    response = client.post(f"/dashboard/referrals/{referral.id}/remind",
                           data={"csrf_token": token, "next": "/dashboard/overdue?page=1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard/overdue?page=1")
    db.session.expire_all()
    referral = db.session.get(Referral, referral.id)
    assert (referral.status, referral.version) == before
    notes = db.session.execute(select(Notification).where(Notification.kind == "referral.reminder")).scalars().all()
    assert [n.user_id for n in notes] == [world.officer_police.id]
    assert "Reminder sent to POLICE en" in client.get("/dashboard/overdue").get_data(as_text=True)
    # Twice in a row is refused, and said so.
    again = client.post(f"/dashboard/referrals/{referral.id}/remind", data={"csrf_token": token})
    assert again.status_code == 302
    assert "A reminder was sent less than an hour ago." in client.get(again.headers["Location"]).get_data(as_text=True)
    assert len(db.session.execute(select(Notification).where(Notification.kind == "referral.reminder")).all()) == 1


def test_reminder_never_redirects_outside_the_dashboard(client, world, network):
    as_coordinator(client, world.coordinator)
    referral = network["police"][1]
    token = csrf_token(client, "/dashboard/overdue")
    for target in ("https://evil.example/", "//evil.example/", "/admin/users", "/dashboard/..\\evil",
                   "/dashboard/../admin/users"):
        response = client.post(f"/dashboard/referrals/{referral.id}/remind",
                               data={"csrf_token": token, "next": target})
        assert response.headers["Location"].endswith(f"/dashboard/referrals/{referral.id}"), target


def test_reassign_through_the_page(client, world, network):
    gendarmerie = make_agency("GENDARMERIE", AgencyKind.PUBLIC_SERVICE, world.r1, [C.POLICE_PROTECTION])
    new_service = world.service(gendarmerie, C.POLICE_PROTECTION)
    db.session.commit()
    as_coordinator(client, world.coordinator)
    declined = network["police"][5]
    path = f"/dashboard/referrals/{declined.id}"
    page = client.get(path).get_data(as_text=True)
    assert "Send to this service" in page and "GENDARMERIE en" in page

    # A service of another need is not offered, and not accepted.
    other = client.post(f"{path}/reassign", data={"csrf_token": csrf_token(client, path),
                                                   "service_id": str(world.service(world.assoc_b, C.LEGAL).id)})
    assert other.status_code == 422 and "Not a valid choice" in other.get_data(as_text=True)

    # Her consent covers the police only: refused, with what to do, and nothing sent.
    refused = client.post(f"{path}/reassign", data={"csrf_token": csrf_token(client, path),
                                                     "service_id": str(new_service.id)})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Ask her caseworker at ASSOC-A en" in text
    assert f'<option selected value="{new_service.id}">' in text
    assert db.session.execute(select(func.count()).select_from(Referral)
                              .where(Referral.to_agency_id == gendarmerie.id)).scalar() == 0

    # Her caseworker records consent for police protection services: now it goes.
    with as_user(world.cw_a):
        record_consent(world.cw_a, network["case"], fields=["name", "contact"], service_category=C.POLICE_PROTECTION)
        db.session.commit()
    sent = client.post(f"{path}/reassign", data={"csrf_token": csrf_token(client, path),
                                                 "service_id": str(new_service.id)})
    assert sent.status_code == 302
    new = db.session.execute(select(Referral).where(Referral.to_agency_id == gendarmerie.id)).scalar_one()
    assert sent.headers["Location"].endswith(f"/dashboard/referrals/{new.id}")
    assert new.status.value == "sent" and new.need == C.POLICE_PROTECTION
    db.session.refresh(declined)
    assert declined.superseded_by_id == new.id
    page = client.get(path).get_data(as_text=True)
    assert new.reference in page and "Send to this service" not in page
