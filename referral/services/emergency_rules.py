"""Who may ask for emergency access at all: per kind of agency (the services it offers) and role.

The administrator sets it; only roles that read files (caseworker, officer) can be made eligible.
A change is an access-log event with what it was and what it became, and the auditors are told:
widening emergency access is exactly what they watch for.
"""

from __future__ import annotations

from sqlalchemy import bindparam, delete, exists, select

from ..audit.log import record
from ..extensions import db
from ..models import EmergencyEligibility, Service, User
from ..models.vocab import Role, ServiceCategory
from ..notifications import auditors, notify
from ..policy import Action, require

#: The roles that can be made eligible: the others never read a file, in an emergency or not.
ELIGIBLE_ROLES = (Role.CASEWORKER, Role.OFFICER)
#: What the migration set: agencies that answer emergencies, for both roles.
DEFAULTS = frozenset((category, role) for category in (
    ServiceCategory.SHELTER, ServiceCategory.MEDICAL, ServiceCategory.POST_RAPE_CARE,
    ServiceCategory.POLICE_PROTECTION) for role in ELIGIBLE_ROLES)

Rule = tuple[ServiceCategory, Role]


def current_rules() -> frozenset[Rule]:
    return frozenset((ServiceCategory(c), Role(r)) for c, r in db.session.execute(
        select(EmergencyEligibility.service_category, EmergencyEligibility.role)))


#: `may_ask` as an SQL condition on `may_ask_parameters`, for a statement that asks other things
#: too (the menu's). Built once (CONTRIBUTING.md, "Statements a page runs on every visit").
MAY_ASK = exists(
    select(Service.id).join(EmergencyEligibility, EmergencyEligibility.service_category == Service.category)
    .where(Service.agency_id == bindparam("agency_id"), Service.active.is_(True),
           EmergencyEligibility.role.in_(bindparam("eligible_roles", expanding=True))))
_MAY_ASK = select(MAY_ASK)


def may_ask(user: User) -> bool:
    """Whether one of `user`'s roles is eligible in a kind of service her agency offers (one query)."""
    parameters = may_ask_parameters(user)
    return parameters is not None and bool(db.session.execute(_MAY_ASK, parameters).scalar())


def may_ask_parameters(user: User) -> dict | None:
    """`MAY_ASK`'s parameters for `user`; None when her account alone answers no."""
    roles = [r for r in user.roles if r in ELIGIBLE_ROLES]
    if not user.active or not roles or user.agency_id is None:
        return None
    return {"agency_id": user.agency_id, "eligible_roles": roles}


def set_rules(admin: User, rules: set[Rule]) -> bool:
    """Replace the rules; False (and nothing written) when they did not change."""
    require(admin, Action.USERS_MANAGE)
    if any(role not in ELIGIBLE_ROLES for _, role in rules):
        raise ValueError("only caseworkers and officers can ask for emergency access")
    before = current_rules()
    if before == rules:
        return False
    db.session.execute(delete(EmergencyEligibility))
    db.session.add_all(EmergencyEligibility(service_category=c, role=r) for c, r in sorted(rules))
    record("admin.emergency_rules_change", object_type="emergency_eligibility",
           details={"added": _codes(rules - before), "removed": _codes(before - rules)})
    notify(auditors(), "break_glass.rules_changed", params={"reference": admin.username})
    return True


def _codes(rules) -> list[str]:
    return sorted(f"{category.value}:{role.value}" for category, role in rules)
