"""The named permissions (`<resource>:<action>`) and the roles that hold each of them."""

from __future__ import annotations

import enum

from ..models.vocab import Role


class Action(enum.StrEnum):
    # Survivor files, by the owning association's caseworkers.
    CASE_CREATE = "case:create"
    CASE_LIST = "case:list"
    CASE_READ = "case:read"
    CASE_UPDATE = "case:update"
    CASE_CLOSE = "case:close"
    CASE_CONSENT = "case:consent"
    CASE_ASSESS_RISK = "case:assess_risk"
    CASE_NOTE = "case:note"
    CASE_REFER = "case:refer"
    CASE_SEARCH = "case:search"
    CASE_BREAK_GLASS = "case:break_glass"
    CASE_ERASE = "case:erase"
    # Referrals: the receiving side works its inbox, the sending side follows up.
    REFERRAL_READ = "referral:read"
    REFERRAL_RECEIVE = "referral:receive"  # acknowledge, accept, decline, start, complete, return...
    REFERRAL_SEND = "referral:send"  # send, withdraw, provide information, send elsewhere
    REFERRAL_NUDGE = "referral:nudge"  # coordinator reminder / reassignment
    # Reports from the public, triaged by the associations covering their region.
    REPORT_READ = "report:read"  # the queue, and a report's non-identifying fields
    REPORT_HANDLE = "report:handle"  # claim; then contact, open a file, alert an authority, close
    # Shelters: live places (staff only), stays under the Himaya protocol, occupancy.
    CAPACITY_READ = "capacity:read"
    STAY_READ = "stay:read"  # the shelter's record of a stay (the shelter, or the referral's sender)
    STAY_MANAGE = "stay:manage"  # admit, record services, extend, approve an extension, exit
    OCCUPANCY_READ = "occupancy:read"
    # Network oversight.
    DASHBOARD_READ = "dashboard:read"
    OBSERVATORY_READ = "observatory:read"  # the observatory's reports (a region's, for a regional coordinator)
    OBSERVATORY_MANAGE = "observatory:manage"  # new versions of the unified form's indicators
    HOT_CASE_FLAG = "hot_case:flag"  # her own file (caseworker), a referral she oversees (coordinator)
    HOT_CASE_READ = "hot_case:read"  # the governorate's hot cases, without identity
    HOT_CASE_DECIDE = "hot_case:decide"  # follow-up decisions, reviews, closing
    SLA_MANAGE = "sla:manage"
    DIRECTORY_READ = "directory:read"
    DIRECTORY_MANAGE = "directory:manage"
    LIBRARY_MANAGE = "library:manage"  # the public awareness library (reading it needs no account)
    AUDIT_READ = "audit:read"
    AUDIT_EXPORT = "audit:export"
    USERS_MANAGE = "users:manage"
    ACCOUNTS_APPROVE = "accounts:approve"  # a lead approves account changes in her own agency
    KEYS_MANAGE = "keys:manage"


ACTIONS: dict[Action, frozenset[Role]] = {
    Action.CASE_CREATE: frozenset({Role.CASEWORKER}),
    Action.CASE_LIST: frozenset({Role.CASEWORKER}),
    Action.CASE_READ: frozenset({Role.CASEWORKER, Role.OFFICER}),
    Action.CASE_UPDATE: frozenset({Role.CASEWORKER}),
    Action.CASE_CLOSE: frozenset({Role.CASEWORKER}),
    Action.CASE_CONSENT: frozenset({Role.CASEWORKER}),
    Action.CASE_ASSESS_RISK: frozenset({Role.CASEWORKER}),
    Action.CASE_NOTE: frozenset({Role.CASEWORKER, Role.OFFICER}),
    Action.CASE_REFER: frozenset({Role.CASEWORKER}),
    Action.CASE_SEARCH: frozenset({Role.CASEWORKER}),
    Action.CASE_BREAK_GLASS: frozenset({Role.CASEWORKER, Role.OFFICER}),
    Action.CASE_ERASE: frozenset({Role.ADMIN}),
    Action.REFERRAL_READ: frozenset({Role.CASEWORKER, Role.OFFICER, Role.COORDINATOR}),
    Action.REFERRAL_RECEIVE: frozenset({Role.CASEWORKER, Role.OFFICER}),
    Action.REFERRAL_SEND: frozenset({Role.CASEWORKER}),
    Action.REFERRAL_NUDGE: frozenset({Role.COORDINATOR}),
    Action.REPORT_READ: frozenset({Role.CASEWORKER}),
    Action.REPORT_HANDLE: frozenset({Role.CASEWORKER}),
    Action.CAPACITY_READ: frozenset({Role.CASEWORKER, Role.OFFICER, Role.COORDINATOR}),
    Action.STAY_READ: frozenset({Role.CASEWORKER, Role.OFFICER}),
    Action.STAY_MANAGE: frozenset({Role.CASEWORKER, Role.OFFICER}),
    Action.OCCUPANCY_READ: frozenset({Role.COORDINATOR}),
    Action.DASHBOARD_READ: frozenset({Role.COORDINATOR}),
    Action.OBSERVATORY_READ: frozenset({Role.COORDINATOR}),
    Action.OBSERVATORY_MANAGE: frozenset({Role.COORDINATOR, Role.ADMIN}),
    Action.HOT_CASE_FLAG: frozenset({Role.CASEWORKER, Role.COORDINATOR}),
    Action.HOT_CASE_READ: frozenset({Role.COORDINATOR}),
    Action.HOT_CASE_DECIDE: frozenset({Role.COORDINATOR}),
    Action.SLA_MANAGE: frozenset({Role.COORDINATOR, Role.ADMIN}),
    Action.DIRECTORY_READ: frozenset({Role.CASEWORKER, Role.OFFICER, Role.COORDINATOR, Role.ADMIN}),
    Action.DIRECTORY_MANAGE: frozenset({Role.COORDINATOR, Role.ADMIN}),
    Action.LIBRARY_MANAGE: frozenset({Role.COORDINATOR}),
    Action.AUDIT_READ: frozenset({Role.AUDITOR}),
    Action.AUDIT_EXPORT: frozenset({Role.AUDITOR}),
    Action.USERS_MANAGE: frozenset({Role.ADMIN}),
    Action.ACCOUNTS_APPROVE: frozenset({Role.LEAD}),
    Action.KEYS_MANAGE: frozenset({Role.ADMIN}),
}

#: Roles that must never read survivor identity or narrative, whatever else they hold.
NO_IDENTITY_ROLES = frozenset({Role.COORDINATOR, Role.AUDITOR, Role.ADMIN})
