"""The home page's read model: what each role needs to see first when she logs in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, literal, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import AuditEvent, Case, Notification, Referral, User
from ..models.vocab import CaseStatus, Role
from ..policy import cases_query, inbox_query, outbox_query
from ..policy.queries import oversight_referrals_query
from . import emergency_rules, tasks
from .referrals import bounced

LIST_SIZE = 10


def _count(query) -> int:
    return db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()


def _referrals(query) -> list[Referral]:
    """The first referrals of a list, with both agencies in the same query (not one per agency)."""
    return list(db.session.execute(query.limit(LIST_SIZE).options(
        joinedload(Referral.from_agency), joinedload(Referral.to_agency))).scalars())


def home_panels(user: User, now: datetime) -> dict:
    """The panels of her roles, each a few counts and the first items of a list."""
    panels = {}
    if Role.CASEWORKER in user.roles:
        open_cases = cases_query(user).where(Case.status == CaseStatus.OPEN)
        zone = tasks.agency_zone(user.agency)
        panels["caseworker"] = {
            "tasks": tasks.my_tasks_today(user, now), "zone": zone, "today": now.astimezone(zone).date(),
            "open_cases": _count(open_cases),
            "recent_cases": db.session.execute(
                open_cases.order_by(Case.last_activity_at.desc()).limit(LIST_SIZE)).scalars().all(),
            "bounced": _referrals(bounced(outbox_query(user))),
        }
    if user.roles & {Role.OFFICER, Role.CASEWORKER}:
        # A plain column test (not IS TRUE) lets PostgreSQL use the partial and inbox indexes.
        inbox = inbox_query(user).where(Referral.is_open)
        panels["inbox"] = {
            "open": _count(inbox),
            "overdue": _count(inbox.where(Referral.next_due_at < now)),
            "items": _referrals(inbox),
        }
    if Role.COORDINATOR in user.roles:
        scope = oversight_referrals_query(user).where(Referral.is_open)
        panels["coordinator"] = {
            "open": _count(scope),
            "overdue": _count(scope.where(Referral.next_due_at < now)),
            "overdue_items": _referrals(scope.where(Referral.next_due_at < now).order_by(Referral.next_due_at)),
        }
    if Role.AUDITOR in user.roles:
        panels["auditor"] = {
            "recent": db.session.execute(
                select(AuditEvent).order_by(AuditEvent.id.desc()).limit(LIST_SIZE)).scalars().all(),
            "break_glass": _count(select(AuditEvent).where(AuditEvent.break_glass_reason.is_not(None))),
        }
    if Role.ADMIN in user.roles:
        panels["admin"] = {
            "users": _count(select(User)),
            "inactive": _count(select(User).where(User.active.is_(False))),
        }
    return panels


#: Her unread notifications, counted from ix_notifications_user_unread. Built once
#: (CONTRIBUTING.md, "Statements a page runs on every visit"), with the menu's other question or not.
_UNREAD_COUNT = (select(func.count()).select_from(Notification)
                 .where(Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None))
                 .scalar_subquery())
_MENU_FACTS = select(_UNREAD_COUNT, emergency_rules.MAY_ASK)
_MENU_FACTS_NEVER_ELIGIBLE = select(_UNREAD_COUNT, literal(False))


@dataclass(frozen=True)
class MenuFacts:
    unread: int
    may_ask_emergency_access: bool


def menu_facts(user: User) -> MenuFacts:
    """What every page's menu asks of the database, in one statement: her unread notifications,
    and whether she may ask for emergency access (`emergency_rules.may_ask`)."""
    eligible = emergency_rules.may_ask_parameters(user)
    if eligible is None:
        unread, may_ask = db.session.execute(_MENU_FACTS_NEVER_ELIGIBLE, {"user_id": user.id}).one()
    else:
        unread, may_ask = db.session.execute(_MENU_FACTS, {"user_id": user.id, **eligible}).one()
    return MenuFacts(unread, bool(may_ask))
