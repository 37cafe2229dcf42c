"""The referral journey through the pages: a caseworker refers, an officer of another agency acts."""

from __future__ import annotations

import re

from referral.extensions import db
from referral.models import Case, Notification, Referral
from referral.models.vocab import ServiceCategory
from tests.factories import csrf_token, login

UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def open_file_through_form(client, **overrides):
    data = {"full_name": "Salma Bennani", "phone": "0611223344", "contact_instructions": "Mornings only",
            "address": "Derb Sultan, Casablanca", "national_id": "BE998877", "date_of_birth": "1992-03-04",
            "narrative": "Threatened with a knife by her husband.", "violence_type": "physical_assault",
            "age_band": "26-40", "region_id": "", "channel": "walk_in",
            "csrf_token": csrf_token(client, "/cases/new")}
    data.update(overrides)
    return client.post("/cases/new", data=data)


def transition(client, referral, action, **fields):
    referral = db.session.get(Referral, referral.id)
    data = {"action": action, "version": str(referral.version),
            "csrf_token": csrf_token(client, f"/referrals/{referral.id}")} | fields
    return client.post(f"/referrals/{referral.id}/transition", data=data)


def test_the_whole_loop(client, other_client, world):
    login(client, world.cw_a)
    response = open_file_through_form(client)
    assert response.status_code == 302
    case_id = re.search(UUID_RE, response.headers["Location"]).group(0)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Salma Bennani" in page and "CAS-" in page

    service = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    refer = client.post(f"/referrals/new/{case_id}", data={
        "service_id": str(service.id), "urgency": "urgent", "shared_fields": ["name", "contact"],
        "record_consent": "y", "message": "Please call her in the morning.",
        "csrf_token": csrf_token(client, f"/referrals/new/{case_id}")})
    assert refer.status_code == 302, refer.get_data(as_text=True)[:3000]
    referral = db.session.execute(db.select(Referral)).scalar_one()
    assert referral.status.value == "sent"

    login(other_client, world.officer_police)
    inbox = other_client.get("/referrals/inbox").get_data(as_text=True)
    assert referral.reference in inbox
    shown = other_client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Salma Bennani" in shown and "0611223344" in shown
    assert "BE998877" not in shown and "knife" not in shown  # not shared: national id, narrative

    for action in ("acknowledge", "accept", "start"):
        assert transition(other_client, referral, action).status_code == 302
    assert transition(other_client, referral, "complete", message="Protection order requested.").status_code == 302
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status.value == "completed"

    kinds = {n.kind for n in db.session.execute(db.select(Notification).where(
        Notification.user_id == world.cw_a.id)).scalars()}
    assert {"referral.acknowledge", "referral.accept", "referral.start", "referral.complete"} <= kinds
    seen = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Protection order requested." in seen


def test_decline_brings_it_back_and_it_can_be_sent_elsewhere(client, other_client, world):
    login(client, world.cw_a)
    case_id = re.search(UUID_RE, open_file_through_form(client).headers["Location"]).group(0)
    service = world.service(world.assoc_b, ServiceCategory.LEGAL)
    client.post(f"/referrals/new/{case_id}", data={
        "service_id": str(service.id), "urgency": "standard", "shared_fields": ["name"], "record_consent": "y",
        "csrf_token": csrf_token(client, f"/referrals/new/{case_id}")})
    referral = db.session.execute(db.select(Referral)).scalar_one()
    login(other_client, world.cw_b)
    refused = transition(other_client, referral, "decline")
    assert refused.status_code == 422  # a decline needs a reason
    assert transition(other_client, referral, "decline", reason="no_capacity").status_code == 302
    back = client.get("/referrals/outbox?tab=back").get_data(as_text=True)
    assert referral.reference in back
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "/referrals/new/" in page and "replaces=" in page


def test_stale_version_changes_nothing(client, other_client, world):
    login(client, world.cw_a)
    case_id = re.search(UUID_RE, open_file_through_form(client).headers["Location"]).group(0)
    service = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    client.post(f"/referrals/new/{case_id}", data={
        "service_id": str(service.id), "urgency": "urgent", "shared_fields": ["name"], "record_consent": "y",
        "csrf_token": csrf_token(client, f"/referrals/new/{case_id}")})
    referral = db.session.execute(db.select(Referral)).scalar_one()
    login(other_client, world.officer_police)
    token = csrf_token(other_client, f"/referrals/{referral.id}")
    stale = {"action": "accept", "version": str(referral.version), "csrf_token": token}
    assert transition(other_client, referral, "acknowledge").status_code == 302
    response = other_client.post(f"/referrals/{referral.id}/transition", data=stale)
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status.value == "acknowledged"


def test_no_referral_without_consent(client, world):
    login(client, world.cw_a)
    case_id = re.search(UUID_RE, open_file_through_form(client).headers["Location"]).group(0)
    service = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    response = client.post(f"/referrals/new/{case_id}", data={
        "service_id": str(service.id), "urgency": "urgent", "shared_fields": ["name"],
        "csrf_token": csrf_token(client, f"/referrals/new/{case_id}")})
    assert response.status_code == 422
    assert db.session.execute(db.select(Referral)).first() is None


def test_other_association_cannot_see_the_file(client, other_client, world):
    login(client, world.cw_a)
    case_id = re.search(UUID_RE, open_file_through_form(client).headers["Location"]).group(0)
    login(other_client, world.cw_b)
    assert other_client.get(f"/cases/{case_id}").status_code == 404
    assert other_client.get("/cases/00000000-0000-0000-0000-000000000000").status_code == 404
    assert "Salma" not in other_client.get("/cases/").get_data(as_text=True)


def test_form_errors_keep_what_was_typed(client, world):
    login(client, world.cw_a)
    response = open_file_through_form(client, phone="12", violence_type="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Salma Bennani"' in html and "Derb Sultan" in html
    assert db.session.execute(db.select(Case)).first() is None


def test_hotline_report_creates_file_and_emergency_referral(client, world):
    login(client, world.cw_a)
    service = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    response = client.post("/hotline/report", data={
        "phone": "0655443322", "address": "Near the bus station", "region_id": str(world.r1.id),
        "violence_type": "physical_assault", "narrative": "He is outside the door.", "service_id": str(service.id),
        "consent": "y", "csrf_token": csrf_token(client, "/hotline/report")})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    referral = db.session.execute(db.select(Referral)).scalar_one()
    assert referral.urgency.value == "emergency" and referral.status.value == "sent"
    case = db.session.get(Case, referral.case_id)
    assert case.channel.value == "hotline_report"


def test_the_menu_counts_unread_notifications(client, other_client, world):
    login(client, world.cw_a)
    case_id = re.search(UUID_RE, open_file_through_form(client).headers["Location"]).group(0)
    service = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    client.post(f"/referrals/new/{case_id}", data={
        "service_id": str(service.id), "urgency": "urgent", "shared_fields": ["name"], "record_consent": "y",
        "csrf_token": csrf_token(client, f"/referrals/new/{case_id}")})
    referral = db.session.execute(db.select(Referral)).scalar_one()
    login(other_client, world.officer_police)
    assert 'class="badge count"' in other_client.get("/").get_data(as_text=True)
    transition(other_client, referral, "acknowledge")
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'class="badge count"[^>]*>1<', page)
    client.post("/notifications/read", data={"csrf_token": csrf_token(client, "/notifications/")})
    assert 'class="badge count"' not in client.get("/").get_data(as_text=True)
