"""Due times, checked to the minute, as the clock moves through a receiving agency's week.

The police station of the test network (region one) works Monday to Friday, 08:30-16:30, in
Africa/Casablanca; the hospital is open around the clock. Default policies (DESIGN.md): urgent
1 / 2 / 5 business days, standard 3 / 5 / 15, emergency 1 h / 4 h / 24 h of wall time; a business
day is 480 open minutes. Casablanca is on UTC+0 all year since 20 September 2026 (tz 2026f); the
tests of a clock change take Morocco's last one, Ramadan 2026 (UTC+1, then UTC+0 from 15 February
to 22 March). Nothing sleeps: `at=` moves the workflow's clock and `now=` the sweep's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from referral.extensions import db
from referral.jobs.sweep import run_sla_sweep
from referral.models import Breach, Holiday, Referral, Service, SlaPolicy, SlaTimer
from referral.models.base import utcnow
from referral.models.vocab import ServiceCategory, TimerKind, Urgency
from referral.services.errors import InputError
from referral.workflows import engine
from referral.workflows.calendar import BusinessCalendar, business_minutes_between
from referral.workflows.sla import recompute_open_timers
from tests.factories import as_user, consent_and_refer, make_case

CASA = ZoneInfo("Africa/Casablanca")
ACK, DECIDE, FIRST, COMPLETE = "acknowledge", "decide", "first_action", "complete"
PEP, EC = "clinical_pep", "clinical_ec"


def casa(*args: int) -> datetime:
    return datetime(*args, tzinfo=CASA)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_calendar_is_what_these_tests_assume():
    assert casa(2027, 1, 4).weekday() == 0  # Monday 4 January 2027
    # Morocco's last clock change (tz 2026f: UTC+0 all year from 20 September 2026), on which every
    # tz database since 2019 agrees: these tests hold whichever one the machine reads.
    assert casa(2026, 2, 13).utcoffset() == timedelta(hours=1)
    assert casa(2026, 2, 16).utcoffset() == timedelta(0)  # Ramadan time
    assert casa(2026, 2, 13).weekday() == 4  # a Friday


def send(world, *, to="police", category=ServiceCategory.POLICE_PROTECTION, urgency="urgent", at, case=None,
         **kwargs) -> Referral:
    service = world.service(getattr(world, to), category) if isinstance(to, str) else to
    return consent_and_refer(world.cw_a, case or make_case(world.cw_a), service, urgency=urgency, at=at, **kwargs)


def fire(referral, action, user, at, **kwargs):
    with as_user(user):
        engine.fire(db.session.get(Referral, referral.id), action, user, at=at, **kwargs)
        db.session.commit()


def timers(referral) -> dict[str, SlaTimer]:
    db.session.expire_all()
    rows = db.session.execute(select(SlaTimer).where(SlaTimer.referral_id == referral.id)).scalars()
    return {t.kind.value: t for t in rows}


def due(referral) -> dict[str, datetime]:
    """Due times of the running timers (paused and met ones have none that counts)."""
    return {kind: t.due_at for kind, t in timers(referral).items() if t.state == "running"}


def states(referral) -> dict[str, str]:
    return {kind: t.state for kind, t in timers(referral).items()}


def holiday(day: date, *, region=None, agency=None, name="Holiday"):
    db.session.add(Holiday(day=day, name=name, region_id=region.id if region else None,
                           agency_id=agency.id if agency else None))
    db.session.commit()


# --- business hours ------------------------------------------------------------------------


def test_urgent_referral_sent_during_opening_hours(world):
    referral = send(world, at=casa(2027, 1, 4, 9, 0))
    # Monday 09:00-16:30 gives 450 minutes; the remaining 30 are Tuesday 08:30-09:00.
    assert due(referral) == {ACK: casa(2027, 1, 5, 9, 0), DECIDE: casa(2027, 1, 6, 9, 0),
                             FIRST: casa(2027, 1, 11, 9, 0)}
    assert db.session.get(Referral, referral.id).next_due_at == casa(2027, 1, 5, 9, 0)


def test_standard_referral_counts_three_five_and_fifteen_business_days(world):
    referral = send(world, urgency="standard", at=casa(2027, 1, 4, 9, 0))
    assert due(referral) == {ACK: casa(2027, 1, 7, 9, 0), DECIDE: casa(2027, 1, 11, 9, 0),
                             FIRST: casa(2027, 1, 25, 9, 0)}


def test_a_referral_sent_in_the_evening_starts_counting_next_morning(world):
    referral = send(world, at=casa(2027, 1, 4, 20, 0))
    # A budget that ends exactly at closing time is due at closing time, not next morning.
    assert due(referral) == {ACK: casa(2027, 1, 5, 16, 30), DECIDE: casa(2027, 1, 6, 16, 30),
                             FIRST: casa(2027, 1, 11, 16, 30)}


def test_a_referral_sent_before_opening_starts_at_opening(world):
    referral = send(world, at=casa(2027, 1, 5, 6, 45))
    assert due(referral)[ACK] == casa(2027, 1, 5, 16, 30)


# --- weekends and holidays -----------------------------------------------------------------


def test_friday_afternoon_referral_is_due_after_the_weekend(world):
    referral = send(world, at=casa(2027, 1, 8, 15, 0))
    # Friday gives 90 minutes; Saturday and Sunday none.
    assert due(referral) == {ACK: casa(2027, 1, 11, 15, 0), DECIDE: casa(2027, 1, 12, 15, 0),
                             FIRST: casa(2027, 1, 15, 15, 0)}


def test_a_referral_sent_on_saturday_starts_on_monday(world):
    referral = send(world, at=casa(2027, 1, 9, 10, 0))
    assert due(referral) == {ACK: casa(2027, 1, 11, 16, 30), DECIDE: casa(2027, 1, 12, 16, 30),
                             FIRST: casa(2027, 1, 15, 16, 30)}


def test_national_and_regional_holidays_are_skipped_others_are_not(world):
    holiday(date(2027, 1, 11), name="Independence Manifesto")  # national
    holiday(date(2027, 1, 14), region=world.r1)  # the police's region
    holiday(date(2027, 1, 12), region=world.r2)  # another region: no effect
    holiday(date(2027, 1, 13), agency=world.hospital)  # another agency: no effect
    referral = send(world, at=casa(2027, 1, 8, 15, 0))
    # Fri 90 | Mon holiday | Tue 480 (570) | Wed 480 (1050) | Thu holiday | Fri 480 (1530) |
    # Mon 480 (2010) | Tue 390 more -> 15:00.
    assert due(referral) == {ACK: casa(2027, 1, 12, 15, 0), DECIDE: casa(2027, 1, 13, 15, 0),
                             FIRST: casa(2027, 1, 19, 15, 0)}


def test_the_agencys_own_closing_day_is_skipped(world):
    holiday(date(2027, 1, 5), agency=world.police, name="Staff training")
    referral = send(world, at=casa(2027, 1, 4, 9, 0))
    assert due(referral)[ACK] == casa(2027, 1, 6, 9, 0)


def test_business_time_is_read_on_the_local_clock_across_the_ramadan_change(world):
    referral = send(world, at=casa(2026, 2, 13, 15, 0))  # 14:00 UTC, the Friday before the change
    # Friday 90 minutes, then Monday 08:30 + 390 on Ramadan time (UTC+0): 15:00 local = 15:00 UTC.
    assert due(referral)[ACK] == utc(2026, 2, 16, 15, 0) == casa(2026, 2, 16, 15, 0)


# --- pauses --------------------------------------------------------------------------------


def test_waiting_for_information_stops_the_clocks_and_keeps_the_time_used(world):
    referral = send(world, at=casa(2027, 1, 4, 9, 0))
    fire(referral, "acknowledge", world.officer_police, casa(2027, 1, 4, 10, 0))
    fire(referral, "info_request", world.officer_police, casa(2027, 1, 4, 14, 0), message="Is she safe tonight?")
    assert states(referral) == {ACK: "met", DECIDE: "paused", FIRST: "paused"}
    assert {k: t.consumed_minutes for k, t in timers(referral).items() if t.state == "paused"} == \
        {DECIDE: 300, FIRST: 300}  # Monday 09:00-14:00
    assert db.session.get(Referral, referral.id).next_due_at is None

    # The decision was due Wednesday 09:00; nobody is late while the sender is asked.
    run_sla_sweep(now=casa(2027, 1, 6, 10, 0))
    assert db.session.execute(select(Breach)).first() is None

    fire(referral, "info_provided", world.cw_a, casa(2027, 1, 6, 11, 0), message="Yes, at her mother's.")
    # Decide: 660 left -> Wed 11:00-16:30 (330) + Thu 330 -> 14:00.
    # First action: 2100 left -> Wed 330, Thu 480, Fri 480, Mon 480 (1770), Tue 330 -> 14:00.
    assert due(referral) == {DECIDE: casa(2027, 1, 7, 14, 0), FIRST: casa(2027, 1, 12, 14, 0)}
    assert db.session.get(Referral, referral.id).next_due_at == casa(2027, 1, 7, 14, 0)

    assert run_sla_sweep(now=casa(2027, 1, 7, 13, 59)).breaches == 0
    assert run_sla_sweep(now=casa(2027, 1, 7, 14, 0)).breaches == 1


def test_two_pauses_add_up_and_a_pause_over_the_weekend_costs_nothing(world):
    referral = send(world, at=casa(2027, 1, 4, 9, 0))
    fire(referral, "info_request", world.officer_police, casa(2027, 1, 4, 11, 0), message="Address?")
    fire(referral, "info_provided", world.cw_a, casa(2027, 1, 4, 15, 0), message="Given by phone.")
    # Ack: 120 used, 360 left from Monday 15:00 -> 90 on Monday, 270 on Tuesday -> 13:00.
    assert due(referral)[ACK] == casa(2027, 1, 5, 13, 0)
    fire(referral, "info_request", world.officer_police, casa(2027, 1, 5, 12, 0), message="Which district?")
    assert timers(referral)[ACK].consumed_minutes == 120 + 90 + 210
    fire(referral, "info_provided", world.cw_a, casa(2027, 1, 9, 11, 0), message="Given.")  # a Saturday
    # 60 minutes left, counted from Monday's opening.
    assert due(referral)[ACK] == casa(2027, 1, 11, 9, 30)


def test_a_pause_requested_outside_opening_hours_uses_no_extra_time(world):
    referral = send(world, at=casa(2027, 1, 4, 16, 0))
    fire(referral, "info_request", world.officer_police, casa(2027, 1, 4, 21, 0), message="Phone number?")
    assert timers(referral)[ACK].consumed_minutes == 30
    fire(referral, "info_provided", world.cw_a, casa(2027, 1, 5, 7, 0), message="Sent.")
    assert due(referral)[ACK] == casa(2027, 1, 5, 16, 0)


# --- emergencies: wall time ----------------------------------------------------------------


def test_an_emergency_counts_wall_time_even_at_a_business_hours_agency(world):
    referral = send(world, urgency="emergency", at=casa(2027, 1, 9, 23, 30))  # Saturday night
    assert due(referral) == {ACK: casa(2027, 1, 10, 0, 30), DECIDE: casa(2027, 1, 10, 3, 30),
                             FIRST: casa(2027, 1, 10, 23, 30)}


def test_emergency_wall_time_is_elapsed_time_across_a_clock_change(world):
    # Casablanca goes from UTC+1 to UTC+0 at 03:00 on Sunday 15 February 2026.
    referral = send(world, urgency="emergency", at=casa(2026, 2, 15, 1, 30))  # 00:30 UTC
    assert due(referral) == {ACK: utc(2026, 2, 15, 1, 30), DECIDE: utc(2026, 2, 15, 4, 30),
                             FIRST: utc(2026, 2, 16, 0, 30)}
    assert due(referral)[FIRST] == casa(2026, 2, 16, 0, 30)  # 24 h later reads 23 h later locally


def test_an_emergency_pause_keeps_wall_minutes(world):
    referral = send(world, urgency="emergency", at=casa(2027, 1, 9, 22, 0))
    fire(referral, "info_request", world.officer_police, casa(2027, 1, 9, 22, 20), message="Where is she now?")
    fire(referral, "info_provided", world.cw_a, casa(2027, 1, 10, 2, 0), message="At the station.")
    assert due(referral) == {ACK: casa(2027, 1, 10, 2, 40), DECIDE: casa(2027, 1, 10, 5, 40),
                             FIRST: casa(2027, 1, 11, 1, 40)}


def test_a_round_the_clock_service_counts_a_business_day_as_a_whole_day(world):
    holiday(date(2027, 1, 11), name="Independence Manifesto")  # the hospital works anyway
    referral = send(world, to="hospital", category=ServiceCategory.MEDICAL, at=casa(2027, 1, 9, 10, 0))
    assert due(referral) == {ACK: casa(2027, 1, 10, 10, 0), DECIDE: casa(2027, 1, 11, 10, 0),
                             FIRST: casa(2027, 1, 14, 10, 0)}


# --- clinical deadlines after a sexual assault ---------------------------------------------


def post_rape(world, *, at, assault_at, urgency="emergency", to=None):
    to = to or world.service(world.hospital, ServiceCategory.POST_RAPE_CARE)
    return send(world, to=to, urgency=urgency, at=at, assault_at=assault_at)


def test_post_rape_care_carries_72_and_120_hour_deadlines_from_the_assault(world):
    assault = casa(2027, 1, 8, 22, 0)
    referral = post_rape(world, at=casa(2027, 1, 9, 2, 0), assault_at=assault)
    assert due(referral) == {ACK: casa(2027, 1, 9, 3, 0), DECIDE: casa(2027, 1, 9, 6, 0),
                             FIRST: casa(2027, 1, 10, 2, 0),
                             PEP: casa(2027, 1, 11, 22, 0), EC: casa(2027, 1, 13, 22, 0)}
    assert timers(referral)[PEP].clock.value == "wall"


def test_clinical_deadlines_are_real_hours_across_a_clock_change(world):
    # Assault on Friday 13 February 2026 at noon (UTC+1); Casablanca moves to UTC+0 on the Sunday.
    referral = post_rape(world, at=casa(2026, 2, 14, 9, 0), assault_at=casa(2026, 2, 13, 12, 0))
    assert due(referral)[PEP] == utc(2026, 2, 16, 11, 0) == casa(2026, 2, 16, 11, 0)
    assert due(referral)[EC] == utc(2026, 2, 18, 11, 0)


def test_clinical_deadlines_are_never_paused(world):
    referral = post_rape(world, at=casa(2027, 1, 9, 2, 0), assault_at=casa(2027, 1, 8, 22, 0))
    fire(referral, "info_request", world.officer_hospital, casa(2027, 1, 9, 2, 10), message="Time of assault?")
    assert states(referral) == {ACK: "paused", DECIDE: "paused", FIRST: "paused", PEP: "running", EC: "running"}
    assert due(referral) == {PEP: casa(2027, 1, 11, 22, 0), EC: casa(2027, 1, 13, 22, 0)}
    assert db.session.get(Referral, referral.id).next_due_at == casa(2027, 1, 11, 22, 0)
    fire(referral, "info_provided", world.cw_a, casa(2027, 1, 10, 9, 0), message="Around 22:00.")
    assert due(referral)[PEP] == casa(2027, 1, 11, 22, 0)
    # The sweep flags PEP at its deadline even if the referral waited for information meanwhile.
    assert run_sla_sweep(now=casa(2027, 1, 11, 21, 59)).breaches == 3  # ack, decide, first action
    assert run_sla_sweep(now=casa(2027, 1, 11, 22, 0)).breaches == 1


def test_clinical_deadlines_count_wall_time_at_a_business_hours_agency(world):
    clinic = Service(agency_id=world.assoc_b.id, category=ServiceCategory.POST_RAPE_CARE, name_ar="c", name_fr="c",
                     name_en="c")
    db.session.add(clinic)
    db.session.commit()
    referral = post_rape(world, to=clinic, urgency="urgent", at=casa(2027, 1, 8, 15, 0),
                         assault_at=casa(2027, 1, 8, 9, 0))
    assert due(referral)[ACK] == casa(2027, 1, 11, 15, 0)  # business days
    assert due(referral)[PEP] == casa(2027, 1, 11, 9, 0)  # wall time: before the acknowledgement is due
    assert due(referral)[EC] == casa(2027, 1, 13, 9, 0)


def test_starting_care_meets_the_clinical_deadlines(world):
    referral = post_rape(world, at=casa(2027, 1, 9, 2, 0), assault_at=casa(2027, 1, 8, 22, 0))
    for action, minute in (("acknowledge", 5), ("accept", 10), ("start", 40)):
        fire(referral, action, world.officer_hospital, casa(2027, 1, 9, 2, minute))
    assert states(referral) == {ACK: "met", DECIDE: "met", FIRST: "met", PEP: "met", EC: "met"}
    assert run_sla_sweep(now=casa(2027, 1, 20)).breaches == 0


def test_a_deadline_already_past_at_sending_is_breached_at_the_next_sweep(world):
    referral = post_rape(world, at=casa(2027, 1, 9, 2, 0), assault_at=casa(2027, 1, 5, 20, 0))  # 78 h before
    assert due(referral)[PEP] == casa(2027, 1, 8, 20, 0)
    run_sla_sweep(now=casa(2027, 1, 9, 2, 1))
    assert db.session.execute(select(Breach.kind)).scalars().all() == [TimerKind.CLINICAL_PEP]


@pytest.mark.parametrize(("urgency", "assault", "field", "code"), [
    ("standard", casa(2027, 1, 8, 22, 0), "urgency", "clinical_not_standard"),
    ("emergency", None, "assault_at", "required"),
    ("emergency", casa(2027, 1, 9, 3, 0), "assault_at", "in_future"),
])
def test_post_rape_referrals_are_never_standard_and_need_a_past_assault_time(world, urgency, assault, field, code):
    with pytest.raises(InputError) as error:
        post_rape(world, urgency=urgency, at=casa(2027, 1, 9, 2, 0), assault_at=assault)
    assert (error.value.field, error.value.code) == (field, code)


# --- a policy changes while referrals are open ---------------------------------------------


def general_policy(urgency: Urgency) -> SlaPolicy:
    return db.session.execute(select(SlaPolicy).where(SlaPolicy.urgency == urgency,
                                                      SlaPolicy.service_category.is_(None))).scalar_one()


def test_shorter_limits_apply_to_open_referrals_of_that_urgency_only(world):
    at = casa(2027, 1, 4, 9, 0)
    urgent = send(world, at=at)
    standard = send(world, urgency="standard", at=at)
    withdrawn = send(world, at=at)
    fire(withdrawn, "withdraw", world.cw_a, casa(2027, 1, 4, 9, 30))
    before = {r.id: due(r) for r in (standard, withdrawn)}

    policy = general_policy(Urgency.URGENT)
    policy.acknowledge_minutes, policy.decide_minutes = 240, 480
    assert recompute_open_timers(policy, at=casa(2027, 1, 4, 10, 0)) == 1
    db.session.commit()
    assert due(urgent) == {ACK: casa(2027, 1, 4, 13, 0), DECIDE: casa(2027, 1, 5, 9, 0),
                           FIRST: casa(2027, 1, 11, 9, 0)}
    assert db.session.get(Referral, urgent.id).next_due_at == casa(2027, 1, 4, 13, 0)
    assert {r.id: due(r) for r in (standard, withdrawn)} == before
    # The sweep follows the new times.
    assert run_sla_sweep(now=casa(2027, 1, 4, 13, 0)).breaches == 1


def test_a_category_policy_governs_its_category_and_the_general_one_the_rest(world):
    at = casa(2027, 1, 9, 10, 0)
    medical = send(world, to="hospital", category=ServiceCategory.MEDICAL, at=at)
    police = send(world, at=casa(2027, 1, 4, 9, 0))
    own = SlaPolicy(urgency=Urgency.URGENT, service_category=ServiceCategory.MEDICAL, clock="business",
                    acknowledge_minutes=120, decide_minutes=960, first_action_minutes=2400)
    db.session.add(own)
    db.session.commit()

    general = general_policy(Urgency.URGENT)
    general.acknowledge_minutes = 60
    assert recompute_open_timers(general, at=at) == 1  # the police referral only
    assert due(police)[ACK] == casa(2027, 1, 4, 10, 0)
    assert due(medical)[ACK] == casa(2027, 1, 10, 10, 0)

    assert recompute_open_timers(own, at=at) == 1
    # 120 business minutes at a round-the-clock service: 6 hours.
    assert due(medical)[ACK] == casa(2027, 1, 9, 16, 0)
    assert due(police)[ACK] == casa(2027, 1, 4, 10, 0)


def test_a_paused_referral_takes_the_new_budget_when_it_resumes(world):
    referral = send(world, at=casa(2027, 1, 4, 9, 0))
    fire(referral, "info_request", world.officer_police, casa(2027, 1, 4, 11, 0), message="Address?")
    policy = general_policy(Urgency.URGENT)
    policy.acknowledge_minutes = 240
    recompute_open_timers(policy, at=casa(2027, 1, 4, 12, 0))
    db.session.commit()
    assert timers(referral)[ACK].state == "paused" and timers(referral)[ACK].budget_minutes == 240
    fire(referral, "info_provided", world.cw_a, casa(2027, 1, 5, 9, 0), message="Given.")
    assert due(referral)[ACK] == casa(2027, 1, 5, 11, 0)  # 120 used, 120 left


def test_a_completion_limit_added_later_counts_from_sending(world):
    referral = send(world, at=casa(2027, 1, 4, 9, 0))
    fire(referral, "acknowledge", world.officer_police, casa(2027, 1, 4, 9, 30))
    policy = general_policy(Urgency.URGENT)
    policy.complete_minutes = 10 * 480
    recompute_open_timers(policy, at=casa(2027, 1, 5, 9, 0))
    db.session.commit()
    assert due(referral)[COMPLETE] == casa(2027, 1, 18, 9, 0)  # ten business days after sending
    assert states(referral)[ACK] == "met"

    policy.complete_minutes = None
    recompute_open_timers(policy, at=casa(2027, 1, 6, 9, 0))
    db.session.commit()
    assert states(referral)[COMPLETE] == "cancelled"


def test_recomputing_goes_in_batches_of_the_given_size(world):
    case = make_case(world.cw_a)
    referrals = [send(world, case=case, at=casa(2027, 1, 4, 9, 0)) for _ in range(5)]
    policy = general_policy(Urgency.URGENT)
    policy.acknowledge_minutes = 60
    batches = []
    assert recompute_open_timers(policy, at=casa(2027, 1, 4, 9, 0), batch_size=2,
                                 after_batch=lambda: (batches.append(1), db.session.commit())) == 5
    assert len(batches) == 3
    assert {due(r)[ACK] for r in referrals} == {casa(2027, 1, 4, 10, 0)}


def test_a_recorded_breach_stays_recorded_when_the_limit_is_relaxed(world):
    referral = send(world, at=casa(2027, 1, 4, 9, 0))
    run_sla_sweep(now=casa(2027, 1, 5, 9, 0))
    policy = general_policy(Urgency.URGENT)
    policy.acknowledge_minutes = 3 * 480
    recompute_open_timers(policy, at=casa(2027, 1, 5, 9, 30))
    db.session.commit()
    assert due(referral)[ACK] == casa(2027, 1, 7, 9, 0)
    assert db.session.execute(select(Breach.kind)).scalars().all() == [TimerKind.ACKNOWLEDGE]
    run_sla_sweep(now=casa(2027, 1, 7, 9, 0))  # the new acknowledgement time: breached once, not twice
    assert sorted(db.session.execute(select(Breach.kind)).scalars()) == [TimerKind.ACKNOWLEDGE, TimerKind.DECIDE]


# --- calendar changes ----------------------------------------------------------------------


def _as_coordinator(world):
    return as_user(world.coordinator)


def _audit_details(action: str) -> dict:
    from referral.models import AuditEvent

    return db.session.execute(select(AuditEvent.details).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id.desc()).limit(1)).scalar_one()


def test_a_holiday_declared_later_moves_the_open_referrals_due_times_and_back(world):
    from referral.services import directory_admin

    police = send(world, at=casa(2027, 1, 4, 9, 0))
    hospital_emergency = send(world, to="hospital", category=ServiceCategory.MEDICAL, urgency="emergency",
                              at=casa(2027, 1, 4, 9, 0))
    # The hospital is in region two, open around the clock: business days count there too.
    other_region = send(world, to="hospital", category=ServiceCategory.MEDICAL, at=casa(2027, 1, 4, 9, 0))
    emergency_due, other_due = due(hospital_emergency), due(other_region)
    with _as_coordinator(world):
        # Tuesday 5 January becomes a holiday in the police's region.
        day_off = directory_admin.add_holiday(world.coordinator, day=date(2027, 1, 5), name="Storm",
                                              region_id=world.r1.id, agency_id=None)
        db.session.commit()
    # Monday 450 minutes, Tuesday closed, the remaining 30 on Wednesday.
    assert due(police) == {ACK: casa(2027, 1, 6, 9, 0), DECIDE: casa(2027, 1, 7, 9, 0),
                           FIRST: casa(2027, 1, 12, 9, 0)}
    assert db.session.get(Referral, police.id).next_due_at == casa(2027, 1, 6, 9, 0)
    assert due(hospital_emergency) == emergency_due  # wall time: no holiday for an emergency
    assert world.hospital.region_id != world.r1.id and due(other_region) == other_due
    assert _audit_details("directory.holiday_create")["referrals_recomputed"] >= 1
    with _as_coordinator(world):
        directory_admin.remove_holiday(world.coordinator, db.session.get(Holiday, day_off.id))
        db.session.commit()
    assert due(police) == {ACK: casa(2027, 1, 5, 9, 0), DECIDE: casa(2027, 1, 6, 9, 0),
                           FIRST: casa(2027, 1, 11, 9, 0)}


def test_new_opening_hours_move_the_open_referrals_due_times(world):
    from referral.services import directory_admin
    from referral.services.directory_admin import format_hours

    police = send(world, at=casa(2027, 1, 4, 9, 0))
    agency = world.police
    values = {name: getattr(agency, name) for name in directory_admin.AGENCY_FIELDS}
    values["kind"] = agency.kind.value
    hours = format_hours(agency.opening_hours)
    hours["0"] = "08:30-12:30"  # Mondays now close at 12:30
    with _as_coordinator(world):
        directory_admin.save_agency(world.coordinator, agency, values, hours)
        db.session.commit()
    # Monday 09:00-12:30 gives 210 minutes; the remaining 270 on Tuesday from 08:30: 13:00.
    assert due(police)[ACK] == casa(2027, 1, 5, 13, 0)
    assert "opening_hours" in _audit_details("directory.agency_update")["changed"]
    assert _audit_details("directory.agency_update")["referrals_recomputed"] == 1


def test_a_national_holiday_reaches_every_agencys_open_referrals(world):
    from referral.services import directory_admin

    police = send(world, at=casa(2027, 1, 4, 9, 0))
    with _as_coordinator(world):
        directory_admin.add_holiday(world.coordinator, day=date(2027, 1, 6), name="National day",
                                    region_id=None, agency_id=None)
        db.session.commit()
    # Acknowledge still on Tuesday; deciding skips Wednesday.
    assert due(police)[ACK] == casa(2027, 1, 5, 9, 0) and due(police)[DECIDE] == casa(2027, 1, 7, 9, 0)


def test_recomputing_months_later_keeps_the_holidays_since_the_referral_was_sent(world, clock):
    """A referral still open months after it was sent keeps its holidays when a calendar change
    recomputes its due times: the holidays loaded are those since it was sent, not around today."""
    from referral.workflows.sla import recompute_calendar

    holiday(date(2027, 1, 11), name="Independence Manifesto")
    clock.move_to(casa(2027, 1, 4, 9, 0))
    police = send(world, at=utcnow())
    # Five business days from Monday 09:00: 2370 minutes by Friday, the last 30 after the holiday.
    assert due(police)[FIRST] == casa(2027, 1, 12, 9, 0)
    clock.move_to(casa(2027, 5, 3, 9, 0))
    with as_user(world.coordinator):
        assert recompute_calendar([world.police.id]) == 1
        db.session.commit()
    assert due(police)[FIRST] == casa(2027, 1, 12, 9, 0)
    # Waiting for information now: the time used counts the holiday as closed too.
    fire(police, "acknowledge", world.officer_police, at=utcnow())
    fire(police, "info_request", world.officer_police, at=utcnow(), message="Her availability, please")
    office = BusinessCalendar("Africa/Casablanca", {str(d): [["08:30", "16:30"]] for d in range(5)},
                              frozenset({date(2027, 1, 11)}))
    assert timers(police)[FIRST].state == "paused"
    assert timers(police)[FIRST].consumed_minutes == business_minutes_between(casa(2027, 1, 4, 9, 0), utcnow(), office)
