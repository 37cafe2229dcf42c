"""Editing the response time limits: units, clocks, overrides per service, audit, open referrals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from referral.extensions import db
from referral.models import AuditEvent, SlaPolicy, SlaTimer
from referral.models.vocab import ServiceCategory as C
from referral.models.vocab import TimerKind, Urgency
from tests.factories import consent_and_refer, csrf_token, login, make_case

MONDAY = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # 10:00 in Casablanca: the police are open 08:30-16:30


def english(client) -> None:
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client, "/")})


def policy(urgency: Urgency, category: C | None = None) -> SlaPolicy:
    query = select(SlaPolicy).where(SlaPolicy.urgency == urgency)
    query = query.where(SlaPolicy.service_category == category if category else SlaPolicy.service_category.is_(None))
    return db.session.execute(query).scalar_one()


def limits(**overrides) -> dict:
    data = {"clock": "business", "acknowledge_amount": "1", "acknowledge_unit": "days", "decide_amount": "2",
            "decide_unit": "days", "first_action_amount": "5", "first_action_unit": "days",
            "complete_amount": "", "complete_unit": "days", "stalled_amount": "14", "stalled_unit": "days"}
    data.update(overrides)
    return data


def post(client, path: str, **overrides):
    return client.post(path, data=limits(csrf_token=csrf_token(client, path), **overrides))


def audit_events() -> list[AuditEvent]:
    return list(db.session.execute(select(AuditEvent).where(AuditEvent.action == "sla.policy_update")
                                   .order_by(AuditEvent.id)).scalars())


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_the_list_says_each_limit_as_people_do(client, world, role):
    login(client, getattr(world, role))
    english(client)
    page = client.get("/sla-policies/").get_data(as_text=True)
    assert "1 business day" in page and "15 business days" in page and "4 hours" in page and "14 days" in page
    assert "Calendar time" in page and "Opening hours" in page


@pytest.mark.parametrize("role", ["cw_a", "officer_police", "auditor"])
def test_others_cannot_see_or_change_limits(client, world, role):
    login(client, getattr(world, role))
    urgent = policy(Urgency.URGENT)
    assert client.get("/sla-policies/").status_code == 403
    token = csrf_token(client, "/")
    assert client.post(f"/sla-policies/{urgent.id}", data=limits(csrf_token=token, acknowledge_amount="1",
                                                                 acknowledge_unit="hours")).status_code == 403
    db.session.refresh(urgent)
    assert urgent.acknowledge_minutes == 8 * 60


def test_edit_converts_units_audits_and_moves_open_deadlines(client, world):
    case = make_case(world.cw_a)
    referral = consent_and_refer(world.cw_a, case, world.service(world.police, C.POLICE_PROTECTION),
                                 urgency="urgent", at=MONDAY)
    ack = db.session.execute(select(SlaTimer).where(SlaTimer.referral_id == referral.id,
                                                    SlaTimer.kind == TimerKind.ACKNOWLEDGE)).scalar_one()
    assert ack.due_at == MONDAY + timedelta(days=1)  # one business day: same time on Tuesday

    login(client, world.coordinator)
    english(client)
    urgent = policy(Urgency.URGENT)
    assert client.get(f"/sla-policies/{urgent.id}").status_code == 200
    response = post(client, f"/sla-policies/{urgent.id}", acknowledge_amount="4", acknowledge_unit="hours",
                    decide_amount="1.5", decide_unit="days", complete_amount="30", complete_unit="days")
    assert response.status_code == 302
    db.session.expire_all()
    urgent = policy(Urgency.URGENT)
    # A business day is 8 opening hours.
    assert (urgent.acknowledge_minutes, urgent.decide_minutes, urgent.first_action_minutes,
            urgent.complete_minutes) == (240, 720, 2400, 14400)
    assert urgent.updated_by_id == world.coordinator.id

    [event] = audit_events()
    assert event.actor_user_id == world.coordinator.id
    assert event.details["old"]["acknowledge_minutes"] == 480 and event.details["new"]["acknowledge_minutes"] == 240
    assert event.details["old"]["complete_minutes"] is None and event.details["new"]["complete_minutes"] == 14400
    assert (event.details["urgency"], event.details["service_category"], event.details["created"]) == (
        "urgent", None, False)

    # The open referral now has four opening hours to be acknowledged: Monday 14:00 in Casablanca.
    db.session.refresh(ack)
    assert ack.due_at == MONDAY + timedelta(hours=4)
    assert "The time limits were saved" in client.get("/sla-policies/").get_data(as_text=True)


def test_saving_unchanged_limits_changes_and_logs_nothing(client, world):
    login(client, world.coordinator)
    urgent = policy(Urgency.URGENT)
    assert post(client, f"/sla-policies/{urgent.id}").status_code == 302
    assert audit_events() == []


def test_errors_are_shown_next_to_the_field_and_keep_what_was_typed(client, world):
    login(client, world.coordinator)
    english(client)
    urgent = policy(Urgency.URGENT)
    response = post(client, f"/sla-policies/{urgent.id}", acknowledge_amount="3", acknowledge_unit="days",
                    decide_amount="90", decide_unit="minutes")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    decide = page.split('id="decide_amount"', 1)[1].split("</div>", 1)[0]
    assert "This cannot be shorter than the step before it." in decide
    assert 'value="90"' in page and '<option selected value="minutes">' in page
    typo = post(client, f"/sla-policies/{urgent.id}", first_action_amount="five")
    assert typo.status_code == 422 and 'value="five"' in typo.get_data(as_text=True)
    negative = post(client, f"/sla-policies/{urgent.id}", acknowledge_amount="-1")
    assert negative.status_code == 422 and "Give a positive number." in negative.get_data(as_text=True)
    db.session.refresh(urgent)
    assert urgent.acknowledge_minutes == 480 and audit_events() == []


def test_emergencies_always_count_calendar_time(client, world):
    login(client, world.coordinator)
    emergency = policy(Urgency.EMERGENCY)
    page = client.get(f"/sla-policies/{emergency.id}").get_data(as_text=True)
    assert 'name="clock"' not in page
    response = post(client, f"/sla-policies/{emergency.id}", clock="business", acknowledge_amount="2",
                    acknowledge_unit="hours", decide_amount="1", decide_unit="days", first_action_amount="2",
                    first_action_unit="days")
    assert response.status_code == 302
    db.session.refresh(emergency)
    # A day of an emergency is 24 hours, whatever was chosen.
    assert (emergency.clock.value, emergency.decide_minutes, emergency.first_action_minutes) == ("wall", 1440, 2880)


def test_a_service_gets_its_own_limits_once(client, world):
    login(client, world.coordinator)
    english(client)
    form = client.get("/sla-policies/new?urgency=urgent&category=legal").get_data(as_text=True)
    assert '<option selected value="legal">' in form and 'value="1"' in form  # prefilled from the general limits
    response = post(client, "/sla-policies/new", urgency="urgent", service_category="legal",
                    acknowledge_amount="2", acknowledge_unit="hours")
    assert response.status_code == 302
    legal = policy(Urgency.URGENT, C.LEGAL)
    assert legal.acknowledge_minutes == 120 and policy(Urgency.URGENT).acknowledge_minutes == 480
    [event] = audit_events()
    assert event.details["created"] and event.details["service_category"] == "legal"
    assert event.details["old"]["acknowledge_minutes"] == 480 and event.details["new"]["acknowledge_minutes"] == 120

    again = post(client, "/sla-policies/new", urgency="urgent", service_category="legal")
    assert again.status_code == 422
    assert "There are already limits for this urgency and service" in again.get_data(as_text=True)
    assert len(audit_events()) == 1
    listing = client.get("/sla-policies/").get_data(as_text=True)
    assert f"/sla-policies/{legal.id}" in listing and "Legal aid" in listing


def test_general_limits_can_be_saved_when_only_defaults_exist(client, world):
    db.session.delete(policy(Urgency.STANDARD))
    db.session.commit()
    login(client, world.admin)
    english(client)
    listing = client.get("/sla-policies/").get_data(as_text=True)
    assert "built-in defaults" in listing and "/sla-policies/new?urgency=standard" in listing
    response = post(client, "/sla-policies/new", urgency="standard", service_category="", acknowledge_amount="2")
    assert response.status_code == 302
    assert policy(Urgency.STANDARD).acknowledge_minutes == 2 * 8 * 60
