"""Hot cases: who may flag, who sees them (only her governorate's coalition), no identity shown,
decisions on the version read, reviews reminded once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from referral.extensions import db
from referral.models import AuditEvent, Case, CaseEvent, HotCase, HotCaseDecision, Notification
from referral.models.vocab import ServiceCategory, TimerKind
from referral.policy import NotFoundError, PermissionDenied
from referral.services import hot_cases
from referral.services.errors import InputError
from tests.factories import as_user, consent_and_refer, make_case, race, record_breach


def flag(user, case, reason="high_risk", comment="Threatened again after the police visit", days=14):
    with as_user(user):
        hot = hot_cases.flag_file(user, case, reason, comment, days)
        db.session.commit()
    return hot


def decide(user, hot, kind="follow_up", text="Police to call her back within 24 h", version=None, days=None):
    with as_user(user):
        decision = hot_cases.decide(user, hot, kind, text, expected_version=hot.version if version is None else version,
                                    review_every_days=days)
        db.session.commit()
    return decision


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_her_caseworker_flags_her_file_for_the_coalition_of_its_governorate(world, clock):
    case = make_case(world.cw_a)

    hot = flag(world.cw_a, case)

    assert hot.region_id == world.r1.id and hot.closed_at is None
    assert hot.next_review_at == hot.flagged_at + timedelta(days=14)
    assert hot.number.startswith("HC-")
    event = db.session.execute(select(CaseEvent).where(CaseEvent.kind == "hot_case_flagged")).scalar_one()
    assert event.details == {"hot_case": hot.number, "reason": "high_risk"}
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "hot_case.flag")).scalar_one()
    # No regional coordinator for R1: the national coordinators are told.
    told = db.session.execute(select(Notification.user_id).where(Notification.kind == "hot_case.flagged")).scalars()
    assert list(told) == [world.coordinator.id]


@pytest.mark.parametrize("who", ["cw_b", "officer_police", "auditor", "admin"])
def test_nobody_else_flags_her_file_and_nothing_is_written(world, who):
    case = make_case(world.cw_a)
    consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    user = getattr(world, who)
    with pytest.raises((NotFoundError, PermissionDenied)), as_user(user):
        hot_cases.flag_file(user, case, "high_risk", None, 14)
    db.session.rollback()
    assert count(HotCase) == 0


@pytest.mark.parametrize(("reason", "days", "field"), [("unknown", 14, "reason"), ("high_risk", 0, "review_every_days"),
                                                        ("high_risk", 91, "review_every_days"),
                                                        ("high_risk", "ten", "review_every_days")])
def test_a_bad_flag_is_refused_naming_the_field(world, reason, days, field):
    case = make_case(world.cw_a)
    with pytest.raises(InputError) as refused, as_user(world.cw_a):
        hot_cases.flag_file(world.cw_a, case, reason, None, days)
    assert refused.value.field == field
    db.session.rollback()
    assert count(HotCase) == 0 and count(CaseEvent) == 1  # "opened" only


def test_one_open_hot_case_per_file_even_when_two_flags_race(world, app):
    case = make_case(world.cw_a)
    case_id, user_id = case.id, world.cw_a.id

    def attempt():
        with app.app_context():
            from referral.models import Case, User

            user, file = db.session.get(User, user_id), db.session.get(Case, case_id)
            try:
                with as_user(user):
                    hot_cases.flag_file(user, file, "repeated_violence", None, 7)
                    db.session.commit()
                return "flagged"
            except InputError as exc:
                db.session.rollback()
                return exc.code
            finally:
                db.session.remove()

    results = race([attempt, attempt])

    assert sorted(results) == ["already_hot", "flagged"]
    assert count(HotCase) == 1


def test_a_coordinator_flags_a_referral_she_oversees_by_its_reference(world):
    case = make_case(world.cw_a)
    referral = consent_and_refer(world.cw_a, case, world.service(world.hospital, ServiceCategory.MEDICAL))
    with as_user(world.regional_coordinator):
        hot = hot_cases.flag_referral(world.regional_coordinator, referral.reference.lower(), "service_failure",
                                      "Turned away at the emergency ward", 7)
        db.session.commit()
    # Her governorate (R2, where the hospital is) follows it, though the file is from R1.
    assert (hot.region_id, hot.referral_id, hot.case_id) == (world.r2.id, referral.id, case.id)


def test_a_reference_outside_her_oversight_is_answered_like_none(world):
    case = make_case(world.cw_a)
    to_police = consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    with pytest.raises(NotFoundError), as_user(world.regional_coordinator):  # the police are in R1, she is R2's
        hot_cases.flag_referral(world.regional_coordinator, to_police.reference, "service_failure", None, 7)
    db.session.rollback()
    with pytest.raises(InputError) as unknown, as_user(world.regional_coordinator):
        hot_cases.flag_referral(world.regional_coordinator, "REF-1999-000001", "service_failure", None, 7)
    assert unknown.value.field == "reference"
    db.session.rollback()
    assert count(HotCase) == 0


def test_the_coalition_sees_only_its_governorate_and_no_identity(world):
    r1_case = make_case(world.cw_a)
    hot_r1 = flag(world.cw_a, r1_case)

    national = hot_cases.hot_cases(world.coordinator)
    regional = hot_cases.hot_cases(world.regional_coordinator)

    assert [row.hot_case.id for row in national] == [hot_r1.id]
    assert regional == []
    with pytest.raises(NotFoundError):
        hot_cases.get_hot_case(world.regional_coordinator, hot_r1.id)
    with pytest.raises(NotFoundError):
        hot_cases.get_hot_case(world.coordinator, 999_999)
    for outsider in (world.cw_a, world.officer_police, world.auditor, world.admin):
        with pytest.raises(NotFoundError):
            hot_cases.get_hot_case(outsider, hot_r1.id)
        with pytest.raises(PermissionDenied):
            hot_cases.hot_cases(outsider)
    with as_user(world.coordinator):
        view = hot_cases.hot_case_view(world.coordinator, hot_r1)
    shown = repr(view.facts) + repr(view.referrals) + (view.comment or "")
    assert "فاطمة" not in shown and "0612345678" not in shown and r1_case.case_number not in shown
    assert view.comment == "Threatened again after the police visit"


def test_the_view_shows_her_referrals_timeline_and_what_is_overdue(world, clock):
    case = make_case(world.cw_a)
    referral = consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    hot = flag(world.cw_a, case)
    clock.shift(timedelta(days=3))
    record_breach(referral, TimerKind.ACKNOWLEDGE, db.session.get(type(referral), referral.id).timers[0].due_at)

    with as_user(world.coordinator):
        view = hot_cases.hot_case_view(world.coordinator, hot)
        rows = hot_cases.hot_cases(world.coordinator)

    (line,) = view.referrals
    assert line.referral.reference == referral.reference
    assert [b.kind for b in line.overdue] == [TimerKind.ACKNOWLEDGE]
    assert [e.to_status for e in line.events][-1] is not None
    assert (rows[0].open_referrals, rows[0].overdue_steps) == (1, 1)


def test_decisions_need_the_version_she_read_and_one_of_two_at_once_passes(world):
    hot = flag(world.cw_a, make_case(world.cw_a))
    decide(world.coordinator, hot, text="Ask the prosecutor for a protection order")
    assert hot.version == 2

    with pytest.raises(hot_cases.StaleHotCase), as_user(world.coordinator):
        hot_cases.decide(world.coordinator, hot, "follow_up", "written on the old page", expected_version=1)
    db.session.rollback()
    assert count(HotCaseDecision) == 1 and db.session.get(HotCase, hot.id).version == 2


def test_a_review_schedules_the_next_and_closing_ends_it(world, clock):
    hot = flag(world.cw_a, make_case(world.cw_a), days=7)
    clock.shift(timedelta(days=8))
    decide(world.coordinator, hot, "review", "Safe at her sister's; keep following", days=30)
    hot = db.session.get(HotCase, hot.id)
    assert hot.review_every_days == 30 and hot.reminded_at is None
    assert hot.next_review_at > hot.flagged_at + timedelta(days=37)

    decide(world.coordinator, hot, "close", "Protection order granted; the association follows her")
    hot = db.session.get(HotCase, hot.id)
    assert hot.closed_at is not None and hot_cases.hot_cases(world.coordinator) == []
    assert [row.hot_case.id for row in hot_cases.hot_cases(world.coordinator, closed=True)] == [hot.id]
    with pytest.raises(InputError), as_user(world.coordinator):
        hot_cases.decide(world.coordinator, hot, "follow_up", "too late", expected_version=hot.version)
    db.session.rollback()
    # Closed, the file may be flagged again.
    assert flag(world.cw_a, db.session.get(Case, hot.case_id)).id != hot.id


@pytest.mark.parametrize(("kind", "text"), [("follow_up", ""), ("adjourn", "x"), ("follow_up", "x" * 2001)])
def test_a_bad_decision_changes_nothing(world, kind, text):
    hot = flag(world.cw_a, make_case(world.cw_a))
    with pytest.raises(InputError), as_user(world.coordinator):
        hot_cases.decide(world.coordinator, hot, kind, text, expected_version=hot.version)
    db.session.rollback()
    assert count(HotCaseDecision) == 0 and db.session.get(HotCase, hot.id).version == 1


def test_a_regional_coordinator_decides_only_in_her_governorate(world):
    hot = flag(world.cw_a, make_case(world.cw_a))  # R1
    with pytest.raises(NotFoundError), as_user(world.regional_coordinator):
        hot_cases.decide(world.regional_coordinator, hot, "follow_up", "not mine", expected_version=1)
    db.session.rollback()
    assert count(HotCaseDecision) == 0


def test_two_decisions_on_the_same_version_released_together_one_passes(world, app):
    hot = flag(world.cw_a, make_case(world.cw_a))
    hot_id, user_id = hot.id, world.coordinator.id

    def attempt(text):
        def run():
            with app.app_context():
                from referral.models import User

                user, current = db.session.get(User, user_id), db.session.get(HotCase, hot_id)
                try:
                    with as_user(user):
                        hot_cases.decide(user, current, "follow_up", text, expected_version=1)
                        db.session.commit()
                    return "decided"
                except hot_cases.StaleHotCase:
                    db.session.rollback()
                    return "stale"
                finally:
                    db.session.remove()
        return run

    results = race([attempt("Police first"), attempt("Shelter first")])

    assert sorted(results) == ["decided", "stale"]
    db.session.expire_all()  # this session still holds the hot case as it read it
    assert count(HotCaseDecision) == 1 and db.session.get(HotCase, hot_id).version == 2


def test_erasing_her_file_erases_what_was_written_and_ends_the_hot_case(world):
    from referral.services.erasure import shred_case

    case = make_case(world.cw_a)
    hot = flag(world.cw_a, case)
    decide(world.coordinator, hot, text="Police to visit her at her sister's")
    shred_case(case.case_number)
    db.session.commit()
    db.session.expire_all()

    hot = db.session.get(HotCase, hot.id)
    assert hot.closed_at is not None and hot.comment_ct is None
    assert [d.text_ct for d in hot.decisions] == [None]
    with as_user(world.coordinator):
        view = hot_cases.hot_case_view(world.coordinator, hot)  # readable, with nothing of her left
    assert view.comment is None and [text for _d, text, _who in view.decisions] == [None]
    with pytest.raises(InputError), as_user(world.coordinator):
        hot_cases.decide(world.coordinator, hot, "follow_up", "after the erasure", expected_version=hot.version)
    db.session.rollback()
    # Nor can it be flagged again, by her reference or otherwise: nothing of her is left to follow.
    referral = consent_and_refer(world.cw_b, make_case(world.cw_b), world.service(world.police,
                                                                                  ServiceCategory.POLICE_PROTECTION))
    shred_case(referral.case.case_number)
    db.session.commit()
    with pytest.raises(InputError) as refused, as_user(world.coordinator):
        hot_cases.flag_referral(world.coordinator, referral.reference, "service_failure", None, 7)
    assert refused.value.code == "already_erased"
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(HotCase)).scalar_one() == 1
