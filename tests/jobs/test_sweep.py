"""The SLA sweep: breaches recorded and notified once, escalations, stalled files, cost, no decryption.

The clock is moved by passing `at=` to the workflow and `now=` to the sweep; nothing sleeps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text, update

from referral.extensions import db
from referral.jobs.sweep import due_timers, run_sla_sweep, stalled_cases
from referral.models import (
    AuditEvent,
    Breach,
    Case,
    Escalation,
    Notification,
    OutboxEmail,
    Referral,
    SlaPolicy,
    SlaTimer,
)
from referral.models.base import utcnow
from referral.models.vocab import ServiceCategory, TimerKind, Urgency
from referral.security.crypto import FieldCipher
from referral.workflows import engine
from tests.factories import IDENTITY, as_user, consent_and_refer, make_case

CASA = ZoneInfo("Africa/Casablanca")
#: Monday 4 January 2027, 09:00 in Casablanca: the police (Mon-Fri 08:30-16:30) is open.
MONDAY_9 = datetime(2027, 1, 4, 9, 0, tzinfo=CASA)
#: 480 business minutes after Monday 09:00: Monday gives 450, Tuesday 08:30-09:00 the rest.
ACK_DUE = datetime(2027, 1, 5, 9, 0, tzinfo=CASA)
DECIDE_DUE = datetime(2027, 1, 6, 9, 0, tzinfo=CASA)
MINUTE = timedelta(minutes=1)


def refer(world, *, to="police", urgency="urgent", at=MONDAY_9, case=None, **kwargs) -> Referral:
    agency = getattr(world, to)
    category = {"police": ServiceCategory.POLICE_PROTECTION, "hospital": ServiceCategory.MEDICAL}[to]
    case = case or make_case(world.cw_a)
    return consent_and_refer(world.cw_a, case, world.service(agency, category), urgency=urgency, at=at, **kwargs)


def fire(referral, action, user, at, **kwargs):
    with as_user(user):
        engine.fire(db.session.get(Referral, referral.id), action, user, at=at, **kwargs)
        db.session.commit()


def notified(kind, referral=None) -> list[tuple[int, str]]:
    query = select(Notification.user_id, Notification.kind).where(Notification.kind == kind)
    if referral is not None:
        query = query.where(Notification.referral_id == referral.id)
    return sorted(db.session.execute(query).all())


def breaches() -> list[tuple[str, TimerKind]]:
    return sorted((str(r), k) for r, k in db.session.execute(select(Breach.referral_id, Breach.kind)).all())


# --- breaches ------------------------------------------------------------------------------


def test_nothing_is_breached_a_minute_before_the_due_time(world):
    refer(world)
    report = run_sla_sweep(now=ACK_DUE - MINUTE)
    assert (report.breaches, report.escalations) == (0, 0)
    assert breaches() == [] and notified("referral.breach") == []


def test_a_due_timer_is_breached_once_and_both_sides_are_told(world):
    referral = refer(world)
    report = run_sla_sweep(now=ACK_DUE)
    assert report.breaches == 1 and not report.skipped
    assert breaches() == [(str(referral.id), TimerKind.ACKNOWLEDGE)]
    timer = db.session.execute(select(SlaTimer).where(SlaTimer.referral_id == referral.id,
                                                      SlaTimer.kind == TimerKind.ACKNOWLEDGE)).scalar_one()
    assert timer.breached_at == ACK_DUE and timer.state == "running"
    # The receiving agency's officer and the referring caseworker; nobody else.
    assert notified("referral.breach") == sorted([(world.officer_police.id, "referral.breach"),
                                                  (world.cw_a.id, "referral.breach")])
    note = db.session.execute(select(Notification).where(Notification.kind == "referral.breach")).scalars().first()
    assert note.params == {"reference": referral.reference, "timers": ["acknowledge"]}
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "sla.breach")).scalar_one()
    assert (event.actor_username, event.actor_user_id, event.object_id) == ("scheduler", None, str(referral.id))
    assert event.details["reference"] == referral.reference and event.details["timer"] == "acknowledge"

    again = run_sla_sweep(now=ACK_DUE + timedelta(minutes=5))
    assert again.breaches == 0
    assert len(breaches()) == 1 and len(notified("referral.breach")) == 2
    assert db.session.execute(select(func.count()).where(AuditEvent.action == "sla.breach")).scalar() == 1


def test_each_timer_breaches_in_its_turn(world):
    referral = refer(world)
    run_sla_sweep(now=ACK_DUE)
    run_sla_sweep(now=DECIDE_DUE - MINUTE)
    assert len(breaches()) == 1
    run_sla_sweep(now=DECIDE_DUE)
    assert breaches() == sorted([(str(referral.id), TimerKind.ACKNOWLEDGE), (str(referral.id), TimerKind.DECIDE)])
    assert len(notified("referral.breach")) == 4  # two people, two breaches


def test_timers_breached_together_make_one_notification_per_person(world):
    referral = refer(world)
    run_sla_sweep(now=DECIDE_DUE + timedelta(days=1))  # the scheduler was down: both are late
    assert len(breaches()) == 2
    assert len(notified("referral.breach")) == 2
    params = db.session.execute(select(Notification.params).where(Notification.kind == "referral.breach")).scalars()
    assert all(p == {"reference": referral.reference, "timers": ["acknowledge", "decide"]} for p in params)


def test_a_met_timer_never_breaches(world):
    referral = refer(world)
    fire(referral, "acknowledge", world.officer_police, ACK_DUE - timedelta(hours=1))
    run_sla_sweep(now=ACK_DUE + timedelta(hours=2))
    assert breaches() == []


def test_a_breach_is_resolved_when_the_timer_is_finally_met(world):
    referral = refer(world)
    run_sla_sweep(now=ACK_DUE)
    fire(referral, "acknowledge", world.officer_police, ACK_DUE + timedelta(hours=1))
    breach = db.session.execute(select(Breach)).scalar_one()
    assert breach.resolved_at == ACK_DUE + timedelta(hours=1)


def test_paused_timers_do_not_breach_but_clinical_deadlines_do(world):
    assault = MONDAY_9 - timedelta(hours=70)
    case = make_case(world.cw_a)
    referral = consent_and_refer(world.cw_a, case, world.service(world.hospital, ServiceCategory.POST_RAPE_CARE),
                                 urgency="emergency", at=MONDAY_9, assault_at=assault)
    fire(referral, "info_request", world.officer_hospital, MONDAY_9 + timedelta(minutes=10),
         message="Which hospital did she go to first?")
    run_sla_sweep(now=MONDAY_9 + timedelta(hours=3))
    # Acknowledge (1 h) is paused: not breached. PEP (72 h after the assault) keeps running.
    assert breaches() == [(str(referral.id), TimerKind.CLINICAL_PEP)]


def test_a_closed_referral_is_never_breached(world):
    referral = refer(world)
    fire(referral, "withdraw", world.cw_a, MONDAY_9 + timedelta(hours=1))
    run_sla_sweep(now=DECIDE_DUE + timedelta(days=30))
    assert breaches() == []


def test_inactive_people_are_not_notified(world):
    world.officer_police.active = False
    db.session.commit()
    refer(world)
    run_sla_sweep(now=ACK_DUE)
    assert notified("referral.breach") == [(world.cw_a.id, "referral.breach")]


def test_breach_notifications_and_emails_carry_no_survivor_data(world):
    referral = refer(world, message="She hides at her sister's house in Hay Hassani.")
    run_sla_sweep(now=ACK_DUE)
    emails = db.session.execute(select(OutboxEmail).where(OutboxEmail.created_at.is_not(None))).scalars().all()
    breach_mails = [e for e in emails if referral.reference in e.subject and e.to_address == "police@example.org"]
    assert breach_mails, "the police officer has an email address: the breach is emailed"
    texts = [e.subject + e.body for e in emails]
    texts += [str(n.params) for n in db.session.execute(select(Notification)).scalars()]
    texts += [str(a.details) for a in db.session.execute(select(AuditEvent)).scalars()]
    for value in [*IDENTITY.values(), "Hay Hassani"]:
        assert all(value not in t for t in texts), value


def test_the_sweep_never_decrypts(world, monkeypatch, clock):
    clock.move_to(MONDAY_9)
    refer(world)
    case = make_case(world.cw_a)
    db.session.execute(update(Case).where(Case.id == case.id).values(last_activity_at=utcnow() - timedelta(days=20)))
    db.session.commit()

    def refuse(*_args, **_kwargs):
        raise AssertionError("the sweep decrypted something")

    monkeypatch.setattr(FieldCipher, "decrypt", refuse)
    assert run_sla_sweep(now=utcnow()).stalled == 1  # nothing due yet, one stalled file
    clock.move_to(DECIDE_DUE + timedelta(days=1))
    report = run_sla_sweep(now=utcnow())
    assert report.breaches == 2


# --- batches, cost -------------------------------------------------------------------------


def test_a_backlog_is_swept_in_batches_each_committed(world):
    referrals = [refer(world) for _ in range(3)]
    commits = []
    from sqlalchemy import event

    listener = lambda _session: commits.append(1)  # noqa: E731
    event.listen(db.session, "after_commit", listener)
    try:
        report = run_sla_sweep(now=DECIDE_DUE, batch_size=2)
    finally:
        event.remove(db.session, "after_commit", listener)
    assert report.breaches == 6  # three referrals, acknowledge and decide
    # 6 timers in batches of 2 (and a last, empty one), then escalations and stalled files.
    assert report.batches == 6 and len(commits) >= 6
    assert len({r for r, _ in breaches()}) == len(referrals)


def _plan(query) -> str:
    compiled = query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))  # tiny test tables: ask which index it can use
            rows = conn.execute(text(f"EXPLAIN {compiled}")).scalars().all()
        else:
            rows = [r[-1] for r in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()]
    return "\n".join(rows)


def test_the_due_timers_query_walks_the_partial_index():
    plan = _plan(due_timers(datetime(2027, 1, 5, tzinfo=UTC), 500))
    assert "ix_sla_timers_due" in plan, plan


def test_the_stalled_files_query_walks_the_activity_index():
    now = datetime(2027, 1, 5, tzinfo=UTC)
    plan = _plan(stalled_cases(now, now - timedelta(days=1), 500, [1, 2, 3]))
    assert "ix_cases_owner_status_activity" in plan, plan
    # The "already flagged" probe is an index lookup too (on empty PostgreSQL tables the planner
    # may pick either audit index; SQLite takes the per-file one).
    assert "ix_audit_events_case" in plan if db.engine.dialect.name == "sqlite" else "ix_audit_events" in plan, plan


def test_the_sweep_does_the_same_work_for_ten_or_forty_referrals_not_due(world):
    from sqlalchemy import event

    def statements_with(count: int) -> int:
        case = make_case(world.cw_a)
        for _ in range(count):
            refer(world, case=case, urgency="standard", at=MONDAY_9 + timedelta(days=7))
        seen = []
        listener = lambda *_args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            run_sla_sweep(now=MONDAY_9 + timedelta(days=7, hours=1))
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    run_sla_sweep(now=MONDAY_9 + timedelta(days=7, hours=1))  # the first run writes the job's bookkeeping
    assert statements_with(10) == statements_with(30)


# --- escalations ---------------------------------------------------------------------------


def test_an_unresolved_breach_is_escalated_once_after_the_delay(world):
    referral = refer(world)
    run_sla_sweep(now=ACK_DUE)
    run_sla_sweep(now=ACK_DUE + timedelta(minutes=239))
    assert db.session.execute(select(func.count()).select_from(Escalation)).scalar() == 0

    report = run_sla_sweep(now=ACK_DUE + timedelta(minutes=240))
    assert report.escalations == 1
    breach = db.session.execute(select(Breach)).scalar_one()
    assert breach.escalated_at == ACK_DUE + timedelta(minutes=240)
    # The police is in region one: the national coordinator, not region two's.
    escalations = db.session.execute(select(Escalation.notified_user_id, Escalation.level)).all()
    assert escalations == [(world.coordinator.id, 1)]
    assert notified("referral.escalation", referral) == [(world.coordinator.id, "referral.escalation")]
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "sla.escalation")).scalar_one()
    assert event.actor_username == "scheduler" and event.details["reference"] == referral.reference

    run_sla_sweep(now=ACK_DUE + timedelta(days=3))
    assert len(notified("referral.escalation", referral)) == 1
    assert db.session.execute(select(func.count()).where(AuditEvent.action == "sla.escalation")).scalar() == 1


def test_a_breach_at_a_regional_agency_reaches_the_regional_coordinator(world):
    referral = refer(world, to="hospital", urgency="emergency")  # hospital: region two
    due = MONDAY_9 + timedelta(hours=1)
    run_sla_sweep(now=due)
    run_sla_sweep(now=due + timedelta(hours=4))
    assert notified("referral.escalation", referral) == sorted([
        (world.coordinator.id, "referral.escalation"), (world.regional_coordinator.id, "referral.escalation")])
    # Nobody else hears of it; caseworkers and officers got the breach, not the escalation.
    assert world.officer_hospital.id in {u for u, _ in notified("referral.breach", referral)}


def test_a_breach_resolved_in_time_is_not_escalated(world):
    referral = refer(world)
    run_sla_sweep(now=ACK_DUE)
    fire(referral, "acknowledge", world.officer_police, ACK_DUE + timedelta(hours=1))
    run_sla_sweep(now=ACK_DUE + timedelta(hours=5))
    assert notified("referral.escalation") == []
    assert db.session.execute(select(Breach.escalated_at)).scalar_one() is None


def test_the_escalation_delay_is_configurable(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "SLA_ESCALATE_AFTER_MINUTES", 30)
    refer(world)
    run_sla_sweep(now=ACK_DUE)
    assert run_sla_sweep(now=ACK_DUE + timedelta(minutes=29)).escalations == 0
    assert run_sla_sweep(now=ACK_DUE + timedelta(minutes=30)).escalations == 1


def test_without_any_coordinator_the_escalation_is_still_recorded(world):
    for user in (world.coordinator, world.regional_coordinator):
        user.active = False
    db.session.commit()
    refer(world)
    run_sla_sweep(now=ACK_DUE)
    assert run_sla_sweep(now=ACK_DUE + timedelta(hours=5)).escalations == 1
    assert db.session.execute(select(Escalation.notified_user_id)).scalars().all() == [None]
    assert notified("referral.escalation") == []


# --- stalled files -------------------------------------------------------------------------


def _inactive_since(case, when) -> None:
    db.session.execute(update(Case).where(Case.id == case.id).values(last_activity_at=when))
    db.session.commit()


def test_a_stalled_file_is_flagged_to_its_caseworker_once_per_stall(world):
    now = utcnow()
    stalled = make_case(world.cw_a)
    fresh = make_case(world.cw_a)
    _inactive_since(stalled, now - timedelta(days=14, minutes=1))
    _inactive_since(fresh, now - timedelta(days=13, hours=23))

    report = run_sla_sweep(now=now)
    assert report.stalled == 1
    notes = db.session.execute(select(Notification).where(Notification.kind == "case.stalled")).scalars().all()
    assert [(n.user_id, n.params) for n in notes] == [(world.cw_a.id, {"reference": stalled.case_number})]
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "case.stalled")).scalar_one()
    assert event.case_id == stalled.id and event.actor_username == "scheduler"

    assert run_sla_sweep(now=now + timedelta(minutes=1)).stalled == 0
    # The other file goes stale a little later: flagged then, and the first one not again.
    assert run_sla_sweep(now=now + timedelta(hours=2)).stalled == 1
    assert run_sla_sweep(now=now + timedelta(hours=3)).stalled == 0

    # Work on the file, then silence again: a new stall, a new notice.
    _inactive_since(stalled, now + timedelta(hours=3))
    assert run_sla_sweep(now=now + timedelta(days=14, hours=4)).stalled == 1
    assert len(notified("case.stalled")) == 3


def test_closed_files_never_stall(world):
    from referral.models.vocab import ClosureReason
    from referral.services.cases import close_case

    case = make_case(world.cw_a)
    with as_user(world.cw_a):
        close_case(world.cw_a, case, ClosureReason.NEEDS_MET)
        db.session.commit()
    _inactive_since(case, utcnow() - timedelta(days=40))
    assert run_sla_sweep(now=utcnow()).stalled == 0


def test_the_stalled_threshold_comes_from_the_standard_policy(world):
    policy = db.session.execute(select(SlaPolicy).where(SlaPolicy.urgency == Urgency.STANDARD,
                                                        SlaPolicy.service_category.is_(None))).scalar_one()
    policy.stalled_after_minutes = 3 * 24 * 60
    db.session.commit()
    case = make_case(world.cw_a)
    _inactive_since(case, utcnow() - timedelta(days=4))
    assert run_sla_sweep(now=utcnow()).stalled == 1


def test_many_files_going_stale_at_the_same_instant_are_each_flagged_once(world):
    when = utcnow() - timedelta(days=20)
    cases = [make_case(world.cw_a) for _ in range(5)]
    for case in cases:
        _inactive_since(case, when)
    report = run_sla_sweep(now=utcnow(), batch_size=2)
    assert report.stalled == 5
    assert run_sla_sweep(now=utcnow()).stalled == 0
    flagged = db.session.execute(select(AuditEvent.case_id).where(AuditEvent.action == "case.stalled")).scalars()
    assert sorted(map(str, flagged)) == sorted(str(c.id) for c in cases)


def test_a_file_without_an_active_caseworker_goes_to_its_agency_caseworkers(world):
    from referral.models.vocab import Role
    from tests.factories import make_user

    colleague = make_user("cw.a2", world.assoc_a, Role.CASEWORKER)
    case = make_case(world.cw_a)
    world.cw_a.active = False
    db.session.commit()
    _inactive_since(case, utcnow() - timedelta(days=15))
    run_sla_sweep(now=utcnow())
    assert notified("case.stalled") == [(colleague.id, "case.stalled")]


def test_the_escalation_query_reads_only_the_breaches_awaiting_escalation():
    from referral.jobs.sweep import breaches_to_escalate

    plan = _plan(breaches_to_escalate(datetime(2027, 1, 5, tzinfo=UTC), 500))
    assert "ix_breaches_awaiting_escalation" in plan, plan


# --- digests -------------------------------------------------------------------------------


def _emails_to(user) -> list[str]:
    return db.session.execute(select(OutboxEmail.subject).where(OutboxEmail.to_address == user.email)).scalars().all()


def test_a_backlog_tells_each_person_once_with_a_digest_not_once_per_referral(world):
    """After a day without a sweep, five referrals to the police are overdue at once: each person is
    told once, in the app and by email, naming them; one overdue referral alone is told as itself."""
    referrals = sorted((refer(world) for _ in range(5)), key=lambda r: r.reference)
    emails_before = len(_emails_to(world.officer_police))
    run_sla_sweep(now=DECIDE_DUE)  # acknowledge and decide both overdue, for all five
    assert notified("referral.breach") == []
    digests = db.session.execute(select(Notification).where(Notification.kind == "referral.breach_digest")
                                 ).scalars().all()
    told = sorted(n.user_id for n in digests)
    assert told == sorted({world.officer_police.id, world.cw_a.id})  # the police's officer, the sender
    for digest in digests:
        assert digest.params["count"] == 5 and digest.referral_id is None
        assert digest.params["references"] == [r.reference for r in referrals]
        assert digest.params["details"][referrals[0].reference] == {"timers": ["acknowledge", "decide"]}
    assert len(_emails_to(world.officer_police)) == emails_before + 1

    lone = refer(world, at=DECIDE_DUE)  # sent later: only its own time limit comes due
    run_sla_sweep(now=DECIDE_DUE + timedelta(days=2))
    assert [k for _, k in notified("referral.breach", lone)] == ["referral.breach"] * len(told)


def test_escalations_of_a_backlog_reach_the_coordinator_as_one_digest(world):
    for _ in range(3):
        refer(world)
    run_sla_sweep(now=ACK_DUE)
    run_sla_sweep(now=ACK_DUE + timedelta(hours=5))
    assert notified("referral.escalation") == []
    assert notified("referral.escalation_digest") == [(world.coordinator.id, "referral.escalation_digest")]
    assert db.session.execute(select(func.count()).select_from(Escalation)).scalar() == 3  # each still recorded


def test_a_digest_counts_and_names_the_first_ten(app):
    from flask_babel import force_locale

    from referral.notifications import notification_text

    params = {"count": 12, "reference": "REF-1", "references": [f"REF-{n}" for n in range(1, 11)]}
    with app.test_request_context(), force_locale("en"):
        text = notification_text("referral.breach_digest", params)
        assert text.startswith("12 referrals") and "REF-10, …" in text
        assert "…" not in notification_text("referral.breach_digest", {**params, "count": 10})
