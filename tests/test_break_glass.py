"""Break-glass: an emergency read outside one's scope needs a written reason and is flagged."""

from __future__ import annotations

from referral.extensions import db
from referral.models import AuditEvent
from tests.factories import csrf_token, login, make_case


def test_emergency_read_needs_a_reason_and_is_flagged(client, world):
    case = make_case(world.cw_b)
    login(client, world.officer_police)
    assert client.get(f"/cases/{case.id}").status_code == 404
    token = csrf_token(client, "/cases/emergency-access")
    short = client.post("/cases/emergency-access", data={"case_number": case.case_number, "reason": "urgent",
                                                          "csrf_token": token})
    assert "فاطمة" not in short.get_data(as_text=True)
    reason = "She called from a phone box: her husband is at the door, we need her address now."
    page = client.post("/cases/emergency-access", data={"case_number": case.case_number, "reason": reason,
                                                         "csrf_token": token}).get_data(as_text=True)
    assert "فاطمة الزهراء بنعلي" in page
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "case.break_glass_read")) \
        .scalar_one()
    assert event.break_glass_reason == reason and "full_name" in event.fields
    assert event.actor_username == "officer.police"


def test_roles_that_never_read_identity_have_no_break_glass(client, world):
    case = make_case(world.cw_b)
    for user in (world.coordinator, world.auditor, world.admin):
        login(client, user)
        assert client.get("/cases/emergency-access").status_code == 403
        token = csrf_token(client, "/")
        response = client.post("/cases/emergency-access", data={
            "case_number": case.case_number, "reason": "x" * 40, "csrf_token": token})
        assert response.status_code == 403
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
