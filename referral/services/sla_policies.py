"""Editing the SLA policies: time limits per urgency, and per service category where one differs.

Every change is audited with the old and new numbers and followed by a recomputation of the open
referrals' timers, so a new limit applies to what is already waiting.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from ..audit.log import record
from ..extensions import db
from ..models import SlaPolicy, User
from ..models.base import utcnow
from ..models.vocab import ServiceCategory, SlaClock, Urgency
from ..policy import Action, require
from ..workflows import sla
from ..workflows.sla import BUSINESS_DAY, DEFAULT_POLICIES, HOUR

UNITS = ("minutes", "hours", "days")
#: Time limits in the order a referral meets them; each may not be shorter than the one before.
BUDGETS = ("acknowledge_minutes", "decide_minutes", "first_action_minutes", "complete_minutes")
#: Longest limit accepted: a year.
MAX_MINUTES = 366 * 24 * HOUR
#: Inactivity after which a file counts as stalled: always counted in calendar (wall) time.
STALLED_DEFAULT = 14 * 24 * HOUR


class PolicyInputError(Exception):
    def __init__(self, field: str, code: str):
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


@dataclass(frozen=True)
class PolicyValues:
    clock: SlaClock
    acknowledge_minutes: int
    decide_minutes: int
    first_action_minutes: int
    complete_minutes: int | None
    stalled_after_minutes: int = STALLED_DEFAULT

    def numbers(self) -> dict:
        values = asdict(self)
        values["clock"] = SlaClock(self.clock).value
        return values


@dataclass(frozen=True)
class PolicyRow:
    """A line of the list: a saved policy, or the built-in default of an urgency not saved yet."""

    urgency: Urgency
    category: ServiceCategory | None
    values: PolicyValues
    policy: SlaPolicy | None


def day_minutes(clock: SlaClock | str) -> int:
    """A "day" of a business clock is a business day (8 opening hours); of a wall clock, 24 hours."""
    return BUSINESS_DAY if SlaClock(clock) == SlaClock.BUSINESS else 24 * HOUR


def to_minutes(amount: Decimal | float | int, unit: str, clock: SlaClock | str) -> int:
    factor = {"minutes": 1, "hours": HOUR, "days": day_minutes(clock)}[unit]
    return int((Decimal(str(amount)) * factor).to_integral_value())


def in_best_unit(minutes: int | None, clock: SlaClock | str) -> tuple[Decimal | None, str]:
    """The largest unit that shows `minutes` exactly (for a form's initial values)."""
    if minutes is None:
        return None, "hours"
    for unit, size in (("days", day_minutes(clock)), ("hours", HOUR)):
        if minutes % size == 0:
            return Decimal(minutes // size), unit
    return Decimal(minutes), "minutes"


def values_of(policy: SlaPolicy) -> PolicyValues:
    return PolicyValues(clock=SlaClock(policy.clock), acknowledge_minutes=policy.acknowledge_minutes,
                        decide_minutes=policy.decide_minutes, first_action_minutes=policy.first_action_minutes,
                        complete_minutes=policy.complete_minutes,
                        stalled_after_minutes=policy.stalled_after_minutes or STALLED_DEFAULT)


def effective_values(urgency: Urgency, category: ServiceCategory | None) -> PolicyValues:
    """What applies today to referrals of this urgency and category."""
    policy = sla.policy_for(urgency, category)
    if policy is not None:
        return values_of(policy)
    return PolicyValues(**DEFAULT_POLICIES[urgency])


def list_policies(user: User) -> list[PolicyRow]:
    """General policies (one per urgency, saved or default), then the category overrides."""
    require(user, Action.SLA_MANAGE)
    saved = db.session.execute(select(SlaPolicy)).scalars().all()
    general = {p.urgency: p for p in saved if p.service_category is None}
    rows = []
    for urgency in Urgency:
        policy = general.get(urgency)
        values = values_of(policy) if policy else PolicyValues(**DEFAULT_POLICIES[urgency])
        rows.append(PolicyRow(urgency, None, values, policy))
    order = {u: i for i, u in enumerate(Urgency)}
    overrides = sorted((p for p in saved if p.service_category is not None),
                       key=lambda p: (order[Urgency(p.urgency)], ServiceCategory(p.service_category).value))
    rows += [PolicyRow(Urgency(p.urgency), ServiceCategory(p.service_category), values_of(p), p) for p in overrides]
    return rows


def get_policy(policy_id: int) -> SlaPolicy | None:
    return db.session.get(SlaPolicy, policy_id)


def _checked(urgency: Urgency, values: PolicyValues) -> PolicyValues:
    if urgency == Urgency.EMERGENCY and values.clock != SlaClock.WALL:
        # Emergencies count every minute, whatever the agency's opening hours.
        values = PolicyValues(**{**asdict(values), "clock": SlaClock.WALL})
    previous = None
    for name in BUDGETS:
        minutes = getattr(values, name)
        if minutes is None:
            if name != "complete_minutes":
                raise PolicyInputError(name, "required")
            continue
        if minutes < 1:
            raise PolicyInputError(name, "too_short")
        if minutes > MAX_MINUTES:
            raise PolicyInputError(name, "too_long")
        if previous is not None and minutes < previous:
            raise PolicyInputError(name, "shorter_than_previous")
        previous = minutes
    if not 1 <= values.stalled_after_minutes <= MAX_MINUTES:
        raise PolicyInputError("stalled_after_minutes", "too_short" if values.stalled_after_minutes < 1 else "too_long")
    return values


def update_policy(user: User, policy: SlaPolicy, values: PolicyValues, *, at: datetime | None = None) -> bool:
    """Change a saved policy; audit and recompute open timers. False when nothing changed."""
    require(user, Action.SLA_MANAGE)
    values = _checked(Urgency(policy.urgency), values)
    old = values_of(policy)
    if old == values:
        return False
    _write(policy, values, user, at)
    _audit(policy, old, values, created=False)
    _recompute(policy, at)
    return True


def create_policy(user: User, urgency: Urgency | str, category: ServiceCategory | str | None, values: PolicyValues,
                  *, at: datetime | None = None) -> SlaPolicy:
    """Save a category's own limits for an urgency (or the urgency's general policy if none is
    saved yet); audited with the limits that applied before."""
    require(user, Action.SLA_MANAGE)
    urgency = Urgency(urgency)
    category = ServiceCategory(category) if category else None
    exists = db.session.execute(
        select(SlaPolicy.id).where(
            SlaPolicy.urgency == urgency,
            SlaPolicy.service_category == category if category else SlaPolicy.service_category.is_(None),
        )
    ).first()
    if exists:
        raise PolicyInputError("service_category", "exists")
    values = _checked(urgency, values)
    old = effective_values(urgency, category)
    policy = SlaPolicy(urgency=urgency, service_category=category)
    _write(policy, values, user, at)
    db.session.add(policy)
    db.session.flush([policy])
    _audit(policy, old, values, created=True)
    _recompute(policy, at)
    return policy


def _write(policy: SlaPolicy, values: PolicyValues, user: User, at: datetime | None) -> None:
    policy.clock = values.clock
    for name in (*BUDGETS, "stalled_after_minutes"):
        setattr(policy, name, getattr(values, name))
    policy.updated_at = at or utcnow()
    policy.updated_by_id = user.id


def _audit(policy: SlaPolicy, old: PolicyValues, new: PolicyValues, *, created: bool) -> None:
    category = policy.service_category
    record("sla.policy_update", object_type="sla_policy", object_id=policy.id,
           details={"urgency": Urgency(policy.urgency).value,
                    "service_category": ServiceCategory(category).value if category else None,
                    "created": created, "old": old.numbers(), "new": new.numbers()})


def _recompute(policy: SlaPolicy, at: datetime | None) -> None:
    db.session.flush()
    sla.recompute_open_timers(policy, at=at)
