"""A referral's life, replayed in integer epoch seconds with the workflow's own rules.

The generator cannot fire a million transitions through the engine, so it replays them here: the
transition table (`referral.workflows.definition.TRANSITIONS`) says what each action meets, pauses,
resumes or cancels, and deadlines are counted on the same business calendar the app uses, turned
into a table of open intervals so that "add N business minutes" is two binary searches instead of
a walk over days. `tests/bench/test_smoke.py` checks it against `add_business_minutes`.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta

from referral.models.vocab import ReferralStatus as S
from referral.models.vocab import TimerKind as T
from referral.workflows.calendar import BusinessCalendar, _day_spans
from referral.workflows.definition import OPEN_STATES, TRANSITIONS
from referral.workflows.sla import CLINICAL_DEADLINES, TIMER_BUDGET_COLUMNS

NEVER = 2**62
_CLINICAL = frozenset(CLINICAL_DEADLINES)


class FastCalendar:
    """Open intervals of one business calendar between two dates, with running totals."""

    def __init__(self, calendar: BusinessCalendar, first: date, last: date):
        self.starts: list[int] = []
        self.cum: list[int] = []  # open seconds before each interval
        self.cum_end: list[int] = []  # open seconds up to each interval's end
        total = 0
        day = first
        while day <= last:
            for start, end in _day_spans(day, calendar):
                s, e = int(start.timestamp()), int(end.timestamp())
                self.starts.append(s)
                self.cum.append(total)
                total += e - s
                self.cum_end.append(total)
            day += timedelta(days=1)

    def position(self, t: int) -> int:
        """Open seconds before instant `t`."""
        k = bisect_right(self.starts, t) - 1
        if k < 0:
            return 0
        inside = t - self.starts[k]
        return min(self.cum[k] + inside, self.cum_end[k])

    def add(self, t: int, minutes: int) -> int:
        """Same answer as `add_business_minutes` (due at closing time, not at the next opening)."""
        if minutes <= 0:
            return t
        target = self.position(t) + minutes * 60
        j = bisect_left(self.cum_end, target)
        if j >= len(self.starts):
            return NEVER
        return self.starts[j] + (target - self.cum[j])

    def between(self, start: int, end: int) -> int:
        """Whole open minutes in [start, end), as `business_minutes_between`."""
        if end <= start:
            return 0
        return (self.position(end) - self.position(start)) // 60


@dataclass(frozen=True)
class Recipient:
    """What the replay needs of the receiving agency."""

    open_24_7: bool
    calendar: FastCalendar


@dataclass(frozen=True)
class Policy:
    clock: str  # "wall" or "business"
    minutes: dict  # TimerKind -> budget minutes (None: no timer)


@dataclass(slots=True)
class Timer:
    kind: T
    clock: str
    started_at: int
    budget: int
    due_at: int
    state: str = "running"
    consumed: int = 0
    paused_at: int | None = None
    met_at: int | None = None
    breached_at: int | None = None
    resolved_at: int | None = None  # when its breach was resolved (met or cancelled after breaching)


@dataclass(slots=True)
class Event:
    action: str
    from_status: S | None
    to_status: S
    at: int
    side: str  # "sender" or "recipient"
    reason: str | None = None
    message: str | None = None


@dataclass(slots=True)
class Life:
    status: S
    events: list[Event] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)
    stamps: dict = field(default_factory=dict)
    status_before_info_request: S | None = None
    decline_reason: str | None = None
    next_due_at: int | None = None
    updated_at: int = 0

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES


class Weighted:
    """A fixed weighted choice; `random.choices` rebuilds its tables on every call."""

    __slots__ = ("values", "cumulative", "total")

    def __init__(self, *pairs):
        self.values = [value for value, _ in pairs]
        self.cumulative = []
        total = 0
        for _, weight in pairs:
            total += weight
            self.cumulative.append(total)
        self.total = total

    def pick(self, rng: random.Random):
        return self.values[bisect_right(self.cumulative, rng.random() * self.total)]


# How referrals end. "stall" stops at some stage and stays open (the files coordinators chase).
OUTCOMES = Weighted(("completed", 69), ("declined", 13), ("returned", 5), ("withdrawn", 5), ("stall", 3), ("care", 5))
STALL_STAGES = Weighted(("sent", 35), ("acknowledged", 25), ("accepted", 20), ("in_progress", 20))
DECLINE_REASONS = ("out_of_scope", "no_capacity", "outside_area", "insufficient_information", "survivor_unreachable",
                   "other")


def _factor(rng: random.Random) -> float:
    """How much of a step's budget a response uses: median 0.35, about one in six late."""
    return min(20.0, math.exp(rng.gauss(math.log(0.35), 1.1)))


def _days(rng: random.Random, median_days: float, sigma: float = 1.0) -> int:
    return int(86400 * median_days * math.exp(rng.gauss(0.0, sigma)))


class Replayer:
    """Replays referrals for one generator process (calendars and policies are shared)."""

    def __init__(self, policies: dict, now: int, sweep_until: int):
        self.policies = policies  # (urgency, category or None) -> Policy
        self.now = now
        self.sweep_until = sweep_until

    def policy(self, urgency: str, need: str) -> Policy:
        return self.policies.get((urgency, need)) or self.policies[(urgency, None)]

    # -- deadlines ---------------------------------------------------------------------------------
    def _clock_of(self, urgency: str, policy: Policy) -> str:
        return "wall" if urgency == "emergency" else policy.clock

    def _due(self, start: int, minutes: int, clock: str, recipient: Recipient) -> int:
        if clock == "wall" or recipient.open_24_7:
            return start + minutes * 60
        return recipient.calendar.add(start, minutes)

    def _elapsed(self, start: int, end: int, clock: str, recipient: Recipient) -> int:
        if clock == "wall" or recipient.open_24_7:
            return max(0, (end - start) // 60)
        return recipient.calendar.between(start, end)

    def _step(self, rng: random.Random, start: int, minutes: int, clock: str, recipient: Recipient) -> int:
        """When a response that uses a random share of `minutes` of the clock happens."""
        return self._due(start, max(1, int(minutes * _factor(rng))), clock, recipient)

    # -- the plan of actions -------------------------------------------------------------------------
    def plan(self, rng: random.Random, sent_at: int, urgency: str, need: str,
             recipient: Recipient) -> list[tuple[str, int]]:
        policy = self.policy(urgency, need)
        clock = self._clock_of(urgency, policy)
        scale = 3 if clock == "business" and recipient.open_24_7 else 1
        ack = policy.minutes[T.ACKNOWLEDGE] * scale
        decide = policy.minutes[T.DECIDE] * scale
        first = policy.minutes[T.FIRST_ACTION] * scale
        outcome = OUTCOMES.pick(rng)
        stall = STALL_STAGES.pick(rng) if outcome == "stall" else None
        actions: list[tuple[str, int]] = []
        t = sent_at

        def step(action: str, minutes: int) -> None:
            nonlocal t
            t = self._step(rng, t, minutes, clock, recipient)
            actions.append((action, t))

        if outcome == "withdrawn":
            stage = rng.random()
            if stage > 0.6:
                step("acknowledge", ack)
            if stage > 0.85:
                step("accept", decide - ack)
            t += _days(rng, 1.0)
            actions.append(("withdraw", t))
            return actions
        if stall == "sent":
            return actions
        # Some officers accept straight from "sent" (accepting acknowledges too); declines are often direct.
        acknowledged = stall == "acknowledged" or rng.random() < (0.6 if outcome == "declined" else 0.7)
        if acknowledged:
            step("acknowledge", ack)
        if stall == "acknowledged":
            return actions
        if rng.random() < 0.08:  # the recipient needs more information before deciding
            t += _days(rng, 0.2)
            actions.append(("info_request", t))
            t += _days(rng, 1.5)
            actions.append(("info_provided", t))
        decide_step = decide - ack if acknowledged else decide
        if outcome == "declined":
            step("decline", decide_step)
            return actions
        step("accept", decide_step)
        if stall == "accepted":
            return actions
        if outcome == "returned" and rng.random() < 0.5:
            t += _days(rng, 5.0)
            actions.append(("return", t))
            return actions
        step("start", first - decide)
        if stall == "in_progress":
            return actions
        if outcome == "returned":
            t += _days(rng, 5.0)
            actions.append(("return", t))
        elif outcome == "completed":
            t += _days(rng, 20.0)
            actions.append(("complete", t))
        else:  # "care": long follow-up, completed much later
            t += _days(rng, 120.0, 0.6)
            actions.append(("complete", t))
        return actions

    # -- the replay ----------------------------------------------------------------------------------
    def replay(self, rng: random.Random, sent_at: int, urgency: str, need: str, recipient: Recipient,
               assault_at: int | None, actions: list[tuple[str, int]]) -> Life:
        """Fire `send` at `sent_at`, then each planned action that happened before now."""
        life = Life(status=S.DRAFT)
        self._fire(life, "send", sent_at, urgency, need, recipient, assault_at, rng)
        for action, at in actions:
            if at >= self.now:
                break
            self._fire(life, action, at, urgency, need, recipient, assault_at, rng)
        self._breach_check(life, self.now)
        life.next_due_at = min((t.due_at for t in life.timers if t.state == "running"), default=None) \
            if life.is_open else None
        return life

    def _breach_check(self, life: Life, until: int) -> None:
        """The sweep runs every minute until `sweep_until`: a running timer is breached at the first
        sweep after its due time, if that sweep happened before `until`."""
        limit = min(until, self.sweep_until)
        for timer in life.timers:
            if timer.state == "running" and timer.breached_at is None:
                sweep = (timer.due_at // 60 + 1) * 60
                if sweep < limit:
                    timer.breached_at = sweep

    def _fire(self, life: Life, action: str, at: int, urgency: str, need: str, recipient: Recipient,
              assault_at: int | None, rng: random.Random) -> None:
        transition = TRANSITIONS[action]
        self._breach_check(life, at)
        previous = life.status
        target = transition.target or life.status_before_info_request
        life.status = target
        life.updated_at = at
        life.status_before_info_request = previous if transition.pauses_timers else None
        for column in transition.stamps:
            life.stamps.setdefault(column, at)
        reason = message = None
        if transition.requires_reason:
            reason = rng.choice(DECLINE_REASONS) if action == "decline" else rng.choice(("other", "outside_area"))
            life.decline_reason = reason
            if reason == "other" or rng.random() < 0.3:
                message = action
        if transition.requires_message:
            message = action
        if transition.starts_timers:
            self._start_timers(life, at, urgency, need, recipient, assault_at)
        for timer in life.timers:
            if timer.kind in transition.meets and timer.state in ("running", "paused"):
                timer.state, timer.met_at = "met", at
        if transition.pauses_timers:
            for timer in life.timers:
                if timer.state == "running" and timer.kind not in _CLINICAL:
                    timer.consumed += self._elapsed(timer.started_at, at, timer.clock, recipient)
                    timer.state, timer.paused_at = "paused", at
        if transition.resumes_timers:
            for timer in life.timers:
                if timer.state == "paused":
                    remaining = max(0, timer.budget - timer.consumed)
                    timer.state, timer.paused_at, timer.started_at = "running", None, at
                    timer.due_at = self._due(at, remaining, timer.clock, recipient)
        if transition.cancels_timers:
            for timer in life.timers:
                if timer.state in ("running", "paused"):
                    timer.state = "cancelled"
        if transition.meets or transition.cancels_timers:
            for timer in life.timers:
                if timer.state in ("met", "cancelled") and timer.breached_at is not None and timer.resolved_at is None:
                    timer.resolved_at = at
        side = "sender" if transition.side == "sender" else "recipient"
        life.events.append(Event(action, previous, target, at, side, reason, message))

    def _start_timers(self, life: Life, at: int, urgency: str, need: str, recipient: Recipient,
                      assault_at: int | None) -> None:
        policy = self.policy(urgency, need)
        clock = self._clock_of(urgency, policy)
        for kind in TIMER_BUDGET_COLUMNS:
            budget = policy.minutes.get(kind)
            if budget is None:
                continue
            if clock == "business" and recipient.open_24_7:
                budget = budget * 3  # a business day of a service open around the clock is a whole day
            life.timers.append(Timer(kind, clock, at, budget, self._due(at, budget, clock, recipient)))
        if need == "post_rape_care" and assault_at is not None:
            for kind, window in CLINICAL_DEADLINES.items():
                minutes = int(window.total_seconds() // 60)
                life.timers.append(Timer(kind, "wall", at, minutes, assault_at + minutes * 60))
