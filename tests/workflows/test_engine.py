"""The referral state machine: every rule of the pathway, and what each transition leaves behind."""

from __future__ import annotations

from datetime import timedelta

import pytest

from referral.extensions import db
from referral.models import AuditEvent, Notification, ReferralEvent, SlaTimer
from referral.models.base import utcnow
from referral.models.vocab import ReferralStatus, ServiceCategory
from referral.policy import NotFoundError, PermissionDenied
from referral.workflows import engine
from referral.workflows.definition import TRANSITIONS, available_transitions
from tests.factories import as_user, consent_and_refer, make_case


@pytest.fixture
def referral(world):
    case = make_case(world.cw_a)
    return consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))


def fire(referral, action, user, **kwargs):
    with as_user(user):
        result = engine.fire(referral, action, user, **kwargs)
        db.session.commit()
    return result


def test_sending_starts_the_policy_timers(referral):
    timers = {t.kind.value: t for t in db.session.execute(db.select(SlaTimer)).scalars()}
    assert set(timers) == {"acknowledge", "decide", "first_action"}
    assert all(t.state == "running" for t in timers.values())
    assert referral.is_open and referral.next_due_at == min(t.due_at for t in timers.values())


def test_happy_path_meets_timers_and_records_history(referral, world):
    for action in ("acknowledge", "accept", "start"):
        fire(referral, action, world.officer_police)
    fire(referral, "complete", world.officer_police, message="Done")
    assert referral.status == ReferralStatus.COMPLETED and not referral.is_open and referral.next_due_at is None
    states = {t.kind.value: t.state for t in db.session.execute(db.select(SlaTimer)).scalars()}
    assert states == {"acknowledge": "met", "decide": "met", "first_action": "met"}
    history = [e.action for e in db.session.execute(db.select(ReferralEvent).order_by(ReferralEvent.id)).scalars()]
    assert history == ["send", "acknowledge", "accept", "start", "complete"]
    audited = [e.action for e in db.session.execute(db.select(AuditEvent).order_by(AuditEvent.id)).scalars()
               if e.action.startswith("referral.")]
    assert audited[-5:] == ["referral.send", "referral.acknowledge", "referral.accept", "referral.start",
                            "referral.complete"]
    assert referral.version == 6


@pytest.mark.parametrize(("status_path", "action"), [
    ((), "start"), ((), "complete"), (("acknowledge",), "acknowledge"), (("accept",), "decline"),
    (("acknowledge", "decline"), "accept"), (("withdraw",), "acknowledge"), (("accept", "start"), "accept"),
])
def test_invalid_transitions_change_nothing(referral, world, status_path, action):
    for step in status_path:
        actor = world.cw_a if step == "withdraw" else world.officer_police
        fire(referral, step, actor, reason="no_capacity" if step == "decline" else None)
    before = (referral.status, referral.version)
    events_before = db.session.query(ReferralEvent).count()
    with pytest.raises(engine.InvalidTransition), as_user(world.officer_police):
        engine.fire(referral, action, world.officer_police, reason="no_capacity", message="x")
    db.session.rollback()
    db.session.refresh(referral)
    assert (referral.status, referral.version) == before
    assert db.session.query(ReferralEvent).count() == events_before


def test_only_the_right_side_fires_each_transition(referral, world):
    with pytest.raises(PermissionDenied), as_user(world.cw_a):
        engine.fire(referral, "acknowledge", world.cw_a)  # the sender cannot acknowledge
    db.session.rollback()
    with pytest.raises(PermissionDenied), as_user(world.officer_police):
        engine.fire(referral, "withdraw", world.officer_police)  # the recipient cannot withdraw
    db.session.rollback()
    for outsider in (world.cw_b, world.officer_hospital):
        with pytest.raises(NotFoundError), as_user(outsider):
            engine.fire(referral, "acknowledge", outsider)
        db.session.rollback()
    with pytest.raises(PermissionDenied), as_user(world.coordinator):
        engine.fire(referral, "accept", world.coordinator)
    db.session.rollback()


def test_decline_needs_a_known_reason_and_other_needs_words(referral, world):
    for kwargs, code in (({}, "reason_required"), ({"reason": "bored"}, "unknown_reason"),
                         ({"reason": "other"}, "message_required")):
        with pytest.raises(engine.GuardFailed) as caught, as_user(world.officer_police):
            engine.fire(referral, "decline", world.officer_police, **kwargs)
        assert caught.value.code == code
        db.session.rollback()
    fire(referral, "decline", world.officer_police, reason="outside_area")
    assert referral.status == ReferralStatus.DECLINED and referral.decline_reason.value == "outside_area"
    assert {t.state for t in db.session.execute(db.select(SlaTimer)).scalars()} == {"cancelled"}


def test_decline_comes_back_to_the_caseworker(referral, world):
    fire(referral, "decline", world.officer_police, reason="no_capacity")
    kinds = [n.kind for n in db.session.execute(db.select(Notification).where(
        Notification.user_id == world.cw_a.id)).scalars()]
    assert "referral.decline" in kinds
    assert not db.session.execute(db.select(Notification).where(
        Notification.user_id == world.officer_police.id, Notification.kind == "referral.decline")).first()


def test_information_request_pauses_and_resumes_where_it_was(referral, world):
    fire(referral, "accept", world.officer_police)
    fire(referral, "info_request", world.officer_police, message="Where is she staying tonight?")
    assert referral.status == ReferralStatus.AWAITING_INFO
    running = db.session.execute(db.select(SlaTimer).where(SlaTimer.state == "running")).scalars().all()
    assert running == [] and referral.next_due_at is None or referral.next_due_at is not None
    paused = db.session.execute(db.select(SlaTimer).where(SlaTimer.state == "paused")).scalars().all()
    assert [t.kind.value for t in paused] == ["first_action"]
    with pytest.raises(engine.GuardFailed), as_user(world.cw_a):
        engine.fire(referral, "info_provided", world.cw_a)  # the answer needs words
    db.session.rollback()
    later = utcnow() + timedelta(hours=1)
    fire(referral, "info_provided", world.cw_a, message="With her sister.", at=later)
    assert referral.status == ReferralStatus.ACCEPTED
    resumed = db.session.execute(db.select(SlaTimer).where(SlaTimer.kind == "first_action")).scalar_one()
    assert resumed.state == "running" and resumed.started_at == later


def test_no_send_without_consent_covering_the_recipient(world):
    from referral.services.referrals import create_referral

    case = make_case(world.cw_a)
    service = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    with pytest.raises(engine.GuardFailed) as caught, as_user(world.cw_a):
        create_referral(world.cw_a, case, service=service, urgency="urgent", shared_fields=["name"])
    assert caught.value.code == "no_consent"
    db.session.rollback()
    from referral.services.consents import record_consent

    with as_user(world.cw_a):
        record_consent(world.cw_a, case, fields=["name"], agency_id=world.police.id)
        with pytest.raises(engine.GuardFailed) as caught:
            create_referral(world.cw_a, case, service=service, urgency="urgent", shared_fields=["name", "narrative"])
    assert caught.value.code == "beyond_consent"


def test_post_rape_care_carries_clinical_deadlines_and_is_never_standard(world):
    from referral.services.errors import InputError

    case = make_case(world.cw_a)
    service = world.service(world.hospital, ServiceCategory.POST_RAPE_CARE)
    assault = utcnow() - timedelta(hours=10)
    with pytest.raises(InputError):
        consent_and_refer(world.cw_a, case, service, urgency="standard", assault_at=assault)
    db.session.rollback()
    referral = consent_and_refer(world.cw_a, case, service, urgency="emergency", assault_at=assault)
    timers = {t.kind.value: t for t in db.session.execute(db.select(SlaTimer)).scalars()}
    assert timers["clinical_pep"].due_at == assault + timedelta(hours=72)
    assert timers["clinical_ec"].due_at == assault + timedelta(hours=120)
    assert timers["acknowledge"].due_at - referral.sent_at == timedelta(hours=1)  # wall time


def test_each_side_sees_the_buttons_it_may_press():
    assert {t.name for t in available_transitions(ReferralStatus.SENT, "recipient")} == {
        "acknowledge", "accept", "decline", "info_request"}
    assert {t.name for t in available_transitions(ReferralStatus.SENT, "sender")} == {"withdraw"}
    assert {t.name for t in available_transitions(ReferralStatus.AWAITING_INFO, "sender")} == {
        "withdraw", "info_provided"}
    assert all(t.side in {"sender", "recipient", "oversight"} for t in TRANSITIONS.values())
