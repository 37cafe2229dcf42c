"""SLA timers: which policy applies, which calendar counts, and when each timer is due."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Agency, Holiday, Referral, SlaPolicy, SlaTimer
from ..models.base import utcnow
from ..models.vocab import ServiceCategory, SlaClock, TimerKind, Urgency
from .calendar import BusinessCalendar, add_business_minutes, business_minutes_between

#: Clinical deadlines after a sexual assault, counted in wall time from the assault.
CLINICAL_DEADLINES = {
    TimerKind.CLINICAL_PEP: timedelta(hours=72),  # HIV post-exposure prophylaxis
    TimerKind.CLINICAL_EC: timedelta(hours=120),  # emergency contraception
}
CLINICAL_NEEDS = frozenset({ServiceCategory.POST_RAPE_CARE})

# The design's defaults, seeded as policies and used when the database has none for an urgency.
# Business clocks count open minutes of the receiving agency; a business day is 8 open hours.
HOUR = 60
BUSINESS_DAY = 8 * HOUR
DEFAULT_POLICIES = {
    Urgency.EMERGENCY: dict(clock=SlaClock.WALL, acknowledge_minutes=1 * HOUR, decide_minutes=4 * HOUR,
                            first_action_minutes=24 * HOUR, complete_minutes=None),
    Urgency.URGENT: dict(clock=SlaClock.BUSINESS, acknowledge_minutes=1 * BUSINESS_DAY,
                         decide_minutes=2 * BUSINESS_DAY, first_action_minutes=5 * BUSINESS_DAY,
                         complete_minutes=None),
    Urgency.STANDARD: dict(clock=SlaClock.BUSINESS, acknowledge_minutes=3 * BUSINESS_DAY,
                           decide_minutes=5 * BUSINESS_DAY, first_action_minutes=15 * BUSINESS_DAY,
                           complete_minutes=None),
}

TIMER_BUDGET_COLUMNS = {
    TimerKind.ACKNOWLEDGE: "acknowledge_minutes",
    TimerKind.DECIDE: "decide_minutes",
    TimerKind.FIRST_ACTION: "first_action_minutes",
    TimerKind.COMPLETE: "complete_minutes",
}


def policy_for(urgency: Urgency, category: ServiceCategory | None) -> SlaPolicy | None:
    """The category's own policy for this urgency, else the urgency's general one."""
    rows = db.session.execute(
        select(SlaPolicy).where(
            SlaPolicy.urgency == urgency,
            or_(SlaPolicy.service_category == category, SlaPolicy.service_category.is_(None)),
        )
    ).scalars().all()
    rows.sort(key=lambda p: p.service_category is None)
    return rows[0] if rows else None


def calendar_for(agency: Agency, around: datetime | None = None) -> BusinessCalendar:
    """The agency's business calendar, with its holidays from a month before ``around`` (now by
    default: the earliest instant the caller will count from) to two years after it."""
    if agency.open_24_7:
        return BusinessCalendar(timezone=agency.timezone, opening_hours={}, open_24_7=True)
    start = (around or utcnow()).date() - timedelta(days=31)
    holidays = db.session.execute(
        select(Holiday.day).where(
            Holiday.day >= start,
            Holiday.day <= start + timedelta(days=800),
            or_(Holiday.agency_id == agency.id, Holiday.agency_id.is_(None)),
            or_(Holiday.region_id == agency.region_id, Holiday.region_id.is_(None)),
        )
    ).scalars().all()
    return BusinessCalendar(
        timezone=agency.timezone,
        opening_hours=agency.opening_hours or {},
        holidays=frozenset(d if isinstance(d, date) else date.fromisoformat(str(d)) for d in holidays),
    )


def _clock(referral: Referral, policy: SlaPolicy | None, agency: Agency) -> SlaClock:
    if referral.urgency == Urgency.EMERGENCY:
        return SlaClock.WALL
    return SlaClock(policy.clock) if policy is not None else SlaClock.BUSINESS


def _budget(kind: TimerKind, policy: SlaPolicy | None, urgency: Urgency, clock: SlaClock,
            agency: Agency) -> int | None:
    column = TIMER_BUDGET_COLUMNS[kind]
    budget = getattr(policy, column) if policy is not None else DEFAULT_POLICIES[urgency][column]
    if budget is not None and clock == SlaClock.BUSINESS and agency.open_24_7:
        # A business day of a service open around the clock is a whole day.
        budget = budget * (24 * HOUR) // BUSINESS_DAY
    return budget


def due_time(start: datetime, minutes: int, clock: SlaClock, calendar: BusinessCalendar) -> datetime:
    if clock == SlaClock.WALL:
        # Elapsed time, in UTC: adding to a local time would follow its wall clock across a change.
        return start.astimezone(UTC) + timedelta(minutes=minutes)
    return add_business_minutes(start, minutes, calendar)


def elapsed_minutes(start: datetime, end: datetime, clock: SlaClock, calendar: BusinessCalendar) -> int:
    if clock == SlaClock.WALL:
        return max(0, int((end - start).total_seconds() // 60))
    return business_minutes_between(start, end, calendar)


def start_timers(referral: Referral, at: datetime) -> list[SlaTimer]:
    """Timers a sent referral runs: the policy's, plus the clinical clocks for post-rape care."""
    agency = db.session.get(Agency, referral.to_agency_id)
    policy = policy_for(referral.urgency, referral.need)
    calendar = calendar_for(agency, at)
    clock = _clock(referral, policy, agency)
    timers = []
    for kind in TIMER_BUDGET_COLUMNS:
        budget = _budget(kind, policy, referral.urgency, clock, agency)
        if budget is None:
            continue
        timers.append(SlaTimer(referral_id=referral.id, kind=kind, clock=clock, started_at=at, state="running",
                               consumed_minutes=0, budget_minutes=budget,
                               due_at=due_time(at, budget, clock, calendar)))
    if referral.need in CLINICAL_NEEDS and referral.assault_at is not None:
        for kind, window in CLINICAL_DEADLINES.items():
            due = referral.assault_at.astimezone(UTC) + window
            timers.append(SlaTimer(referral_id=referral.id, kind=kind, clock=SlaClock.WALL, started_at=at,
                                   state="running", consumed_minutes=0,
                                   budget_minutes=int(window.total_seconds() // 60), due_at=due))
    db.session.add_all(timers)
    return timers


def running(referral: Referral) -> list[SlaTimer]:
    return [t for t in referral.timers if t.state == "running"]


def meet(referral: Referral, kinds: tuple[TimerKind, ...], at: datetime) -> None:
    for timer in referral.timers:
        if timer.kind in kinds and timer.state in ("running", "paused"):
            timer.state, timer.met_at = "met", at


def cancel_all(referral: Referral, at: datetime) -> None:
    for timer in referral.timers:
        if timer.state in ("running", "paused"):
            timer.state = "cancelled"


def pause_all(referral: Referral, at: datetime) -> None:
    """Waiting for information stops the clocks; the budget already used is kept."""
    agency = db.session.get(Agency, referral.to_agency_id)
    # The time used is counted since each timer started, which may be months ago: its holidays too.
    since = min((t.started_at for t in referral.timers if t.state == "running"), default=at)
    calendar = calendar_for(agency, min(since, at))
    for timer in referral.timers:
        if timer.state == "running" and timer.kind not in CLINICAL_DEADLINES:
            timer.consumed_minutes += elapsed_minutes(timer.started_at, at, SlaClock(timer.clock), calendar)
            timer.state, timer.paused_at = "paused", at


def resume_all(referral: Referral, at: datetime) -> None:
    agency = db.session.get(Agency, referral.to_agency_id)
    calendar = calendar_for(agency, at)
    for timer in referral.timers:
        if timer.state == "paused":
            remaining = max(0, timer.budget_minutes - timer.consumed_minutes)
            timer.state, timer.paused_at, timer.started_at = "running", None, at
            timer.due_at = due_time(at, remaining, SlaClock(timer.clock), calendar)


def next_due(referral: Referral) -> datetime | None:
    dues = [t.due_at for t in referral.timers if t.state == "running"]
    return min(dues) if dues else None


#: The Referral timestamp that shows a timer's stage is already behind the referral.
STAGE_DONE = {
    TimerKind.ACKNOWLEDGE: "acknowledged_at",
    TimerKind.DECIDE: "decided_at",
    TimerKind.FIRST_ACTION: "first_action_at",
    TimerKind.COMPLETE: "completed_at",
}


def governed_by(policy: SlaPolicy) -> list:
    """Conditions selecting the open referrals whose timers ``policy`` sets (see ``policy_for``)."""
    scope = [Referral.is_open.is_(True), Referral.urgency == policy.urgency]
    if policy.service_category is not None:
        scope.append(Referral.need == policy.service_category)
    else:
        own = select(SlaPolicy.service_category).where(
            SlaPolicy.urgency == policy.urgency, SlaPolicy.service_category.is_not(None)
        )
        scope.append(Referral.need.not_in(own.scalar_subquery()))
    return scope


def recompute_open_timers(policy: SlaPolicy, *, at: datetime | None = None, batch_size: int = 500,
                          after_batch: Callable[[], None] | None = None) -> int:
    """After ``policy`` changed, give the open referrals it governs their new due times.

    Touches only open referrals of its urgency and category (a general policy: the categories
    without a policy of their own), ``batch_size`` at a time, each batch row-locked so a transition
    cannot interleave. ``after_batch`` (e.g. ``db.session.commit`` in a job or command) ends each
    batch's transaction; without it everything stays in the caller's transaction.

    Running timers keep the budget they already used (pauses included) and are due when the new
    budget is spent; paused timers take the new budget when they resume; met, cancelled and
    clinical timers do not change. A limit the policy now sets for the first time (completion)
    starts counting from when the referral was sent; a limit it no longer sets is cancelled.
    A breach already recorded stays recorded. Returns how many referrals were updated.
    """
    return _recompute_open(governed_by(policy), lambda _referral: policy, at=at, batch_size=batch_size,
                           after_batch=after_batch)


def recompute_calendar(agency_ids: Iterable[int] | None, *, at: datetime | None = None, batch_size: int = 500,
                       after_batch: Callable[[], None] | None = None) -> int:
    """After the business calendar of some agencies changed (opening hours, time zone, around the
    clock, a holiday added or removed; ``None``: every agency, for a national holiday), give their
    open referrals the due times the new calendar gives: the same rules as a policy change, each
    referral under the policy that governs it. Returns how many referrals were updated."""
    conditions = [Referral.is_open.is_(True)]
    if agency_ids is not None:
        ids = sorted(set(agency_ids))
        if not ids:
            return 0
        conditions.append(Referral.to_agency_id.in_(ids))
    policies: dict[tuple, SlaPolicy | None] = {}

    def policy_of(referral: Referral) -> SlaPolicy | None:
        key = (referral.urgency, referral.need)
        if key not in policies:
            policies[key] = policy_for(referral.urgency, referral.need)
        return policies[key]

    return _recompute_open(conditions, policy_of, at=at, batch_size=batch_size, after_batch=after_batch)


def _recompute_open(conditions: list, policy_of: Callable[[Referral], SlaPolicy | None], *, at: datetime | None,
                    batch_size: int, after_batch: Callable[[], None] | None) -> int:
    """`_recompute` the open referrals matching ``conditions``, ``batch_size`` at a time, each
    batch row-locked so a transition cannot interleave."""
    at = at or utcnow()
    #: Per agency: the agency, its calendar, and the earliest instant that calendar's holidays cover.
    calendars: dict[int, tuple[Agency, BusinessCalendar, datetime]] = {}
    done, last_id = 0, None
    while True:
        query = (
            select(Referral).where(*conditions).order_by(Referral.id).limit(batch_size)
            .options(selectinload(Referral.timers)).with_for_update(of=Referral)
            .execution_options(populate_existing=True)
        )
        if last_id is not None:
            query = query.where(Referral.id > last_id)
        referrals = db.session.execute(query).scalars().all()
        for referral in referrals:
            # Timers count from when the referral was sent: the calendar must hold the holidays
            # since then, not only those around today (a referral sent months ago is still open).
            since = min(referral.sent_at or at, at)
            cached = calendars.get(referral.to_agency_id)
            if cached is None or since < cached[2]:
                agency = cached[0] if cached else db.session.get(Agency, referral.to_agency_id)
                cached = calendars[referral.to_agency_id] = (agency, calendar_for(agency, since), since)
            _recompute(referral, policy_of(referral), cached[0], cached[1], at)
        done += len(referrals)
        db.session.flush()
        if after_batch is not None:
            after_batch()
        if len(referrals) < batch_size:
            return done
        last_id = referrals[-1].id


def _recompute(referral: Referral, policy: SlaPolicy | None, agency: Agency, calendar: BusinessCalendar,
               at: datetime) -> None:
    clock = _clock(referral, policy, agency)
    timers = {t.kind: t for t in referral.timers}
    for kind in TIMER_BUDGET_COLUMNS:
        budget = _budget(kind, policy, referral.urgency, clock, agency)
        timer = timers.get(kind)
        if timer is None:
            if budget is not None and getattr(referral, STAGE_DONE[kind]) is None and referral.sent_at is not None:
                referral.timers.append(_late_timer(referral, kind, clock, budget, calendar))
            continue
        if timer.state not in ("running", "paused"):
            continue
        if budget is None:
            timer.state = "cancelled"
            continue
        timer.budget_minutes, timer.clock = budget, clock
        if timer.state == "running":
            remaining = max(0, budget - timer.consumed_minutes)
            timer.due_at = due_time(timer.started_at, remaining, clock, calendar)
    referral.next_due_at = next_due(referral)


def _late_timer(referral: Referral, kind: TimerKind, clock: SlaClock, budget: int,
                calendar: BusinessCalendar) -> SlaTimer:
    """A timer for a limit the policy did not set when the referral was sent.

    While the referral waits for information the new timer waits too; the time before that wait
    counts as used (earlier waits are not known to a timer that did not exist: it errs early).
    """
    start = referral.sent_at
    paused_at = next((t.paused_at for t in referral.timers if t.state == "paused" and t.paused_at), None)
    timer = SlaTimer(referral_id=referral.id, kind=kind, clock=clock, started_at=start, budget_minutes=budget,
                     due_at=due_time(start, budget, clock, calendar))
    if paused_at is not None:
        timer.state, timer.paused_at = "paused", paused_at
        timer.consumed_minutes = elapsed_minutes(start, paused_at, clock, calendar)
    return timer
