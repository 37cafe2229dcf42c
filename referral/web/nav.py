"""The main menu, built from the user's permissions (never shows a page she cannot open)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g, request, url_for

from ..policy import Action
from ..policy.core import has_role_for
from ..translation import language
from ..translation import lazy_gettext as _l

#: (endpoint, label, permission) in menu order; endpoints absent from the app are skipped.
MENU = (
    ("cases.index", _l("Survivor files"), Action.CASE_LIST),
    ("referrals.inbox", _l("Inbox"), Action.REFERRAL_RECEIVE),
    ("referrals.outbox", _l("Sent referrals"), Action.REFERRAL_SEND),
    ("reports.index", _l("Public reports"), Action.REPORT_READ),
    ("dashboard.index", _l("Response times"), Action.DASHBOARD_READ),
    ("observatory.index", _l("Observatory"), Action.OBSERVATORY_READ),
    ("hot_cases.index", _l("Hot cases"), Action.HOT_CASE_READ),
    ("sla.index", _l("Time-limit settings"), Action.SLA_MANAGE),
    ("directory.index", _l("Service directory"), Action.DIRECTORY_READ),
    ("library.manage", _l("Awareness library"), Action.LIBRARY_MANAGE),
    ("stays.occupancy", _l("Shelter occupancy"), Action.OCCUPANCY_READ),
    ("cases.emergency_access", _l("Emergency access"), Action.CASE_BREAK_GLASS),
    ("audit.index", _l("Access log"), Action.AUDIT_READ),
    ("admin.users", _l("Accounts"), Action.USERS_MANAGE),
    ("approvals.index", _l("Account approvals"), Action.ACCOUNTS_APPROVE),
    ("supervision.index", _l("Casework approvals"), Action.ACCOUNTS_APPROVE),
    ("mail_admin.index", _l("Email delivery"), Action.USERS_MANAGE),
    ("admin.erasures", _l("Erasure requests"), Action.CASE_ERASE),
    ("notifications.index", _l("Notifications"), None),
    ("auth.change_password", _l("My password"), None),
)


@dataclass(frozen=True)
class NavItem:
    url: str
    label: str
    active: bool
    #: A count shown beside the label (unread notifications).
    badge: int = 0


def nav_items() -> list[NavItem]:
    user = g.get("user")
    if user is None:
        return []
    items = []
    for endpoint, url, label in _entries_for(user):
        if endpoint == "cases.emergency_access" and not _menu_facts(user).may_ask_emergency_access:
            continue  # only agencies that answer emergencies may ask: the page would refuse her
        badge = unread_count(user) if endpoint == "notifications.index" else 0
        if endpoint == "approvals.index":
            badge = _waiting_approvals(user)
        if endpoint == "supervision.index":
            badge = _waiting_casework(user)
        items.append(NavItem(url, label, _is_current(endpoint), badge))
    return items


def _entries_for(user) -> tuple[tuple[str, str, str], ...]:
    """(endpoint, address, label) of the entries her roles open, in the reader's language: the
    same for every page she opens, so built once per process for each set of roles, language and
    address of the app (the facts of the database are asked per request, in `nav_items`)."""
    key = (frozenset(user.roles) if user.active else frozenset(), language(), request.script_root)
    cache = current_app.extensions.setdefault("masar_nav_entries", {})
    entries = cache.get(key)
    if entries is None:
        entries = cache[key] = tuple(
            (endpoint, url_for(endpoint), str(label)) for endpoint, label, permission in MENU
            if endpoint in current_app.view_functions
            and (permission is None or has_role_for(user, permission)))
    return entries


def _menu_facts(user):
    """The menu's two questions to the database (unread notifications, emergency access), asked
    together once per request."""
    if "menu_facts" not in g:
        from ..services.home import menu_facts

        g.menu_facts = menu_facts(user)
    return g.menu_facts


def _waiting_approvals(user) -> int:
    from ..services.account_approvals import waiting_for

    return len(waiting_for(user))


def _waiting_casework(user) -> int:
    from ..services.supervision import waiting_for

    return len(waiting_for(user))


def unread_count(user) -> int:
    """Unread notifications (one indexed count: ix_notifications_user_unread), counted once per
    request with the menu's other question: the menu's badge and the home page's notice show the
    same number."""
    return _menu_facts(user).unread


def _is_current(endpoint: str) -> bool:
    """The menu item of the page's section: same endpoint, or same blueprint for the sections
    with one entry (the access log's verify page belongs to "Access log")."""
    current = request.endpoint or ""
    if current == endpoint:
        return True
    blueprint = endpoint.split(".", 1)[0]
    siblings = [e for e, _label, _perm in MENU if e.split(".", 1)[0] == blueprint]
    return len(siblings) == 1 and current.split(".", 1)[0] == blueprint


def init_nav(app: Flask) -> None:
    from ..labels import label

    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.filters["label"] = label
