"""A coordinator's nudges: reminders on overdue referrals, and sending a declined one elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from referral.extensions import db
from referral.models import AuditEvent, Case, Notification, Referral, ReferralEvent
from referral.models.vocab import AgencyKind, ReferralStatus, Role
from referral.models.vocab import ServiceCategory as C
from referral.policy import NotFoundError, PermissionDenied
from referral.services import nudges
from referral.services.cases import close_case
from referral.services.consents import record_consent
from referral.services.nudges import NudgeError
from referral.services.referrals import create_referral
from referral.workflows.engine import GuardFailed, fire
from tests.factories import as_user, consent_and_refer, make_agency, make_case, make_user

#: Data built relative to the clock meets the national holidays when the clock is near one.
pytestmark = pytest.mark.usefixtures("national_holidays")

SENT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday
LATER = SENT + timedelta(days=10)  # every urgent limit has passed


def notifications(kind: str) -> list[Notification]:
    return list(db.session.execute(select(Notification).where(Notification.kind == kind)
                                   .order_by(Notification.id)).scalars())


def events(action: str) -> list[AuditEvent]:
    return list(db.session.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars())


@pytest.fixture
def waiting(world):
    """An urgent police referral acknowledged on time, then left waiting for a decision."""
    case = make_case(world.cw_a)
    referral = consent_and_refer(world.cw_a, case, world.service(world.police, C.POLICE_PROTECTION),
                                 urgency="urgent", at=SENT)
    with as_user(world.officer_police):
        fire(referral, "acknowledge", world.officer_police, at=SENT + timedelta(minutes=30))
        db.session.commit()
    return referral


def remind(user, referral, at=LATER):
    with as_user(user):
        result = nudges.send_reminder(user, referral, at=at)
        db.session.commit()
    return result


def test_reminder_notifies_the_receiving_agency_and_changes_nothing_else(world, waiting):
    referral = waiting
    before = (referral.status, referral.version, referral.next_due_at, referral.updated_at)
    activity = db.session.get(Case, referral.case_id).last_activity_at
    remind(world.coordinator, referral)

    db.session.expire_all()
    referral = db.session.get(Referral, referral.id)
    # The version stays: the officer's open page (and its form) is still current.
    assert (referral.status, referral.version, referral.next_due_at, referral.updated_at) == before
    # A reminder is not work on the file: the stalled clock keeps running.
    assert db.session.get(Case, referral.case_id).last_activity_at == activity
    assert [n.user_id for n in notifications("referral.reminder")] == [world.officer_police.id]
    assert notifications("referral.reminder")[0].params == {"reference": referral.reference}
    entry = db.session.execute(select(ReferralEvent).where(ReferralEvent.action == "remind")).scalar_one()
    assert (entry.from_status, entry.to_status, entry.actor_user_id) == (
        ReferralStatus.ACKNOWLEDGED, ReferralStatus.ACKNOWLEDGED, world.coordinator.id)
    [audit] = events("referral.remind")
    assert audit.actor_user_id == world.coordinator.id and audit.details["reference"] == referral.reference
    assert audit.details["from"] == audit.details["to"] == "acknowledged"


def test_the_officer_can_act_on_the_version_she_loaded_before_the_reminder(world, waiting):
    loaded_version = waiting.version
    remind(world.coordinator, waiting)
    with as_user(world.officer_police):
        fire(waiting, "accept", world.officer_police, expected_version=loaded_version, at=LATER + timedelta(hours=1))
        db.session.commit()
    assert db.session.get(Referral, waiting.id).status == ReferralStatus.ACCEPTED


def test_no_reminder_before_the_referral_is_overdue(world, waiting):
    with pytest.raises(NudgeError) as refused:
        remind(world.coordinator, waiting, at=SENT + timedelta(hours=1))
    assert refused.value.code == "not_overdue"
    db.session.rollback()
    assert notifications("referral.reminder") == []


def test_no_second_reminder_within_the_hour(world, waiting):
    remind(world.coordinator, waiting)
    with pytest.raises(NudgeError) as refused:
        remind(world.coordinator, waiting, at=LATER + timedelta(minutes=59))
    assert refused.value.code == "too_soon"
    db.session.rollback()
    remind(world.coordinator, waiting, at=LATER + timedelta(minutes=61))
    assert len(notifications("referral.reminder")) == 2


def test_no_reminder_on_a_closed_referral(world, waiting):
    with as_user(world.officer_police):
        fire(waiting, "decline", world.officer_police, reason="no_capacity", at=LATER)
        db.session.commit()
    with pytest.raises(NudgeError) as refused:
        remind(world.coordinator, waiting, at=LATER + timedelta(hours=1))
    assert refused.value.code == "invalid_state"


def test_who_may_remind(world, waiting):
    for user in (world.cw_a, world.officer_police):
        with pytest.raises(PermissionDenied):
            remind(user, waiting)
    with pytest.raises(NotFoundError):
        remind(world.auditor, waiting)  # oversight is a coordinator's: the referral is not even there
    with pytest.raises(NotFoundError):
        remind(world.regional_coordinator, waiting)  # the police are in region one, she watches region two
    db.session.rollback()
    assert notifications("referral.reminder") == []


# --- reassigning a declined referral ---------------------------------------------------------


@pytest.fixture
def declined(world):
    """An urgent referral to the police, declined; a gendarmerie offers the same service."""
    gendarmerie = make_agency("GENDARMERIE", AgencyKind.PUBLIC_SERVICE, world.r1, [C.POLICE_PROTECTION])
    db.session.commit()
    case = make_case(world.cw_a)
    referral = consent_and_refer(world.cw_a, case, world.service(world.police, C.POLICE_PROTECTION),
                                 urgency="urgent", fields=("name", "contact"), at=SENT)
    with as_user(world.officer_police):
        fire(referral, "decline", world.officer_police, reason="no_capacity", at=SENT + timedelta(hours=2))
        db.session.commit()
    referral.gendarmerie = gendarmerie
    return referral


def reassign(user, referral, service, at=LATER):
    with as_user(user):
        result = nudges.reassign(user, referral, service, at=at)
        db.session.commit()
    return result


def consent(world, case, **scope):
    with as_user(world.cw_a):
        record_consent(world.cw_a, case, **scope)
        db.session.commit()


def test_reassign_is_refused_without_consent_for_the_new_agency(world, declined):
    service = world.service(declined.gendarmerie, C.POLICE_PROTECTION)
    referrals_before = db.session.execute(select(func.count()).select_from(Referral)).scalar()
    with pytest.raises(NudgeError) as refused:
        reassign(world.coordinator, declined, service)
    assert refused.value.code == "consent_needed" and refused.value.field == "service_id"
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(Referral)).scalar() == referrals_before
    assert db.session.get(Referral, declined.id).superseded_by_id is None
    assert events("referral.reassign") == [] and notifications("referral.reassign") == []


def test_reassign_is_refused_when_consent_covers_fewer_fields(world, declined):
    consent(world, db.session.get(Case, declined.case_id), fields=["name"], agency_id=declined.gendarmerie.id)
    with pytest.raises(NudgeError) as refused:
        reassign(world.coordinator, declined, world.service(declined.gendarmerie, C.POLICE_PROTECTION))
    assert refused.value.code == "consent_needed"


def test_reassign_sends_a_new_referral_when_consent_covers_it(world, declined):
    case = db.session.get(Case, declined.case_id)
    consent(world, case, fields=["name", "contact"], service_category=C.POLICE_PROTECTION)
    service = world.service(declined.gendarmerie, C.POLICE_PROTECTION)
    new = reassign(world.coordinator, declined, service)

    db.session.expire_all()
    new, old = db.session.get(Referral, new.id), db.session.get(Referral, declined.id)
    assert old.superseded_by_id == new.id and old.status == ReferralStatus.DECLINED
    assert (new.case_id, new.need, new.urgency, sorted(new.shared_fields)) == (
        old.case_id, old.need, old.urgency, ["contact", "name"])
    assert (new.from_agency_id, new.to_agency_id, new.service_id) == (world.assoc_a.id, declined.gendarmerie.id,
                                                                     service.id)
    assert new.status == ReferralStatus.SENT and new.sent_at == LATER and new.created_by_id == world.coordinator.id
    assert {t.kind.value for t in new.timers} == {"acknowledge", "decide", "first_action"}
    [audit] = events("referral.reassign")
    assert audit.object_id == str(new.id) and audit.actor_user_id == world.coordinator.id
    assert audit.details["replaces"] == old.reference and audit.details["reference"] == new.reference
    assert audit.fields == []  # nothing of hers was read
    # Her caseworker hears that it was sent on (the new agency: see the next test).
    told = notifications("referral.reassign")
    assert [n.user_id for n in told] == [world.cw_a.id] and told[0].params["previous"] == old.reference
    # The sending association follows it as its own referral.
    assert new in db.session.execute(select(Referral).where(Referral.from_agency_id == world.assoc_a.id)).scalars()


def test_the_new_agency_staff_is_told(world, declined):
    gendarme = make_user("gendarme", declined.gendarmerie, Role.OFFICER)
    db.session.commit()
    consent(world, db.session.get(Case, declined.case_id), fields=["name", "contact"],
            agency_id=declined.gendarmerie.id)
    new = reassign(world.coordinator, declined, world.service(declined.gendarmerie, C.POLICE_PROTECTION))
    sent = db.session.execute(select(Notification).where(Notification.referral_id == new.id,
                                                         Notification.kind == "referral.send")).scalars().all()
    assert [n.user_id for n in sent] == [gendarme.id]


def test_reassign_only_once(world, declined):
    consent(world, db.session.get(Case, declined.case_id), fields=["name", "contact"],
            service_category=C.POLICE_PROTECTION)
    service = world.service(declined.gendarmerie, C.POLICE_PROTECTION)
    reassign(world.coordinator, declined, service)
    with pytest.raises(NudgeError) as refused:
        reassign(world.coordinator, declined, service, at=LATER + timedelta(minutes=5))
    assert refused.value.code == "already_reassigned"


def test_reassign_only_a_declined_referral_to_a_service_for_the_same_need(world, declined):
    consent(world, db.session.get(Case, declined.case_id), fields=["name", "contact"], service_category=C.LEGAL)
    with pytest.raises(NudgeError) as refused:
        reassign(world.coordinator, declined, world.service(world.assoc_b, C.LEGAL))
    assert refused.value.code == "unknown_service"
    with pytest.raises(NudgeError) as back_to_sender:
        reassign(world.coordinator, declined, world.service(world.police, C.POLICE_PROTECTION))
    assert back_to_sender.value.code == "unknown_service"
    with pytest.raises(NudgeError) as nothing:
        reassign(world.coordinator, declined, None)
    assert nothing.value.code == "unknown_service"
    db.session.rollback()
    open_one = consent_and_refer(world.cw_a, db.session.get(Case, declined.case_id),
                                 world.service(world.police, C.POLICE_PROTECTION), at=SENT)
    with pytest.raises(NudgeError) as not_declined:
        reassign(world.coordinator, open_one, world.service(declined.gendarmerie, C.POLICE_PROTECTION))
    assert not_declined.value.code == "not_declined"


def test_reassign_refused_when_the_file_is_closed(world, declined):
    case = db.session.get(Case, declined.case_id)
    consent(world, case, fields=["name", "contact"], service_category=C.POLICE_PROTECTION)
    with as_user(world.cw_a):
        close_case(world.cw_a, case, "needs_met")
        db.session.commit()
    with pytest.raises(NudgeError) as refused:
        reassign(world.coordinator, declined, world.service(declined.gendarmerie, C.POLICE_PROTECTION))
    assert refused.value.code == "case_closed"


def test_regional_coordinator_reassigns_only_within_her_region(world, declined):
    # The police are in region one: for the coordinator of region two the referral does not exist.
    with pytest.raises(NotFoundError):
        reassign(world.regional_coordinator, declined, world.service(declined.gendarmerie, C.POLICE_PROTECTION))
    with pytest.raises(NotFoundError):
        nudges.coordinator_view(world.regional_coordinator, declined)


def test_choices_for_reassignment(world, declined):
    other_region = make_agency("GEND-R2", AgencyKind.PUBLIC_SERVICE, world.r2, [C.POLICE_PROTECTION])
    inactive = make_agency("GEND-OFF", AgencyKind.PUBLIC_SERVICE, world.r1, [C.POLICE_PROTECTION])
    inactive.active = False
    db.session.commit()
    offered = {s.agency_id for s in nudges.reassignment_services(world.coordinator, declined)}
    assert offered == {declined.gendarmerie.id, other_region.id}


def test_a_coordinator_cannot_send_someone_elses_draft(world):
    case = make_case(world.cw_a)
    with as_user(world.cw_a):
        record_consent(world.cw_a, case, fields=["name"], agency_id=world.police.id)
        draft = create_referral(world.cw_a, case, service=world.service(world.police, C.POLICE_PROTECTION),
                                urgency="urgent", shared_fields=["name"], send=False)
        db.session.commit()
    # The policy hides drafts from everyone but their author; the engine refuses them too.
    with as_user(world.coordinator), pytest.raises((NotFoundError, GuardFailed)) as refused:
        fire(draft, "reassign", world.coordinator)
    assert getattr(refused.value, "code", "not_own_draft") == "not_own_draft"
    db.session.rollback()
    assert db.session.get(Referral, draft.id).status == ReferralStatus.DRAFT


def test_coordinator_view_reads_no_survivor_data(world, declined):
    view = nudges.coordinator_view(world.coordinator, declined, now=LATER)
    assert view.can_reassign and not view.can_remind
    assert [e.action for e in view.history] == ["send", "decline"]
    db.session.commit()
    [read] = events("referral.read")
    assert read.fields == [] and read.details["relation"] == "oversight"
