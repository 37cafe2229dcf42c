"""Per-record decisions."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import (
    AccountApproval,
    Agency,
    Case,
    HotCase,
    PublicReport,
    Referral,
    Region,
    Stay,
    StayExtension,
    User,
)
from ..models.vocab import ReferralStatus, Role
from .actions import ACTIONS, NO_IDENTITY_ROLES, Action
from .fields import active_categories, active_consents
from .memo import request_memo
from .recipients import recipient_access


class PolicyError(Exception):
    def __init__(self, action: Action, reason: str, record: object = None):
        super().__init__(f"{action}: {reason}")
        self.action = action
        self.reason = reason
        #: The file or referral refused, for the access.denied event (set by `require`).
        self.record = record


class NotFoundError(PolicyError):
    """The record is outside the user's scope: answer as if it did not exist."""


class PermissionDenied(PolicyError):
    """The user sees the record but may not do this to it."""


#: Referral states in which the receiving agency has been given the shared fields.
DELIVERED_STATES = frozenset(set(ReferralStatus) - {ReferralStatus.DRAFT, ReferralStatus.WITHDRAWN})


@dataclass(frozen=True)
class Decision:
    allowed: bool
    #: "owner", "recipient", "sender", "oversight" or "none".
    relation: str
    #: SharedField groups the user may decrypt (empty for roles that never read identity).
    fields: frozenset[str] = field(default_factory=frozenset)


def _action(name: Action | str) -> Action:
    try:
        return Action(name)
    except ValueError:
        raise ValueError(f"unknown permission {name!r}") from None


def can(user: User | None, action: Action | str, record: object = None) -> bool:
    try:
        require(user, action, record)
    except PolicyError:
        return False
    return True


def has_role_for(user: User | None, action: Action | str) -> bool:
    action = _action(action)
    return user is not None and user.active and bool(user.roles & ACTIONS[action])


def require(user: User | None, action: Action | str, record: object = None) -> Decision:
    """Raise NotFoundError or PermissionDenied unless `user` may do `action` (to `record`)."""
    action = _action(action)
    if user is None or not user.active:
        raise NotFoundError(action, "no user")
    if record is None:
        if not has_role_for(user, action):
            raise PermissionDenied(action, "role")
        return Decision(True, "none")
    try:
        if isinstance(record, Case):
            return _require_case(user, action, record)
        if isinstance(record, Referral):
            return _require_referral(user, action, record)
        if isinstance(record, AccountApproval):
            return _require_account_approval(user, action, record)
        if isinstance(record, PublicReport):
            return _require_report(user, action, record)
        if isinstance(record, Stay):
            return _require_stay(user, action, record)
        if isinstance(record, StayExtension):
            return _require_extension(user, action, record)
        if isinstance(record, Region):
            return _require_region(user, action, record)
        if isinstance(record, HotCase):
            return _require_hot_case(user, action, record)
    except PolicyError as exc:
        exc.record = exc.record or record
        raise
    raise TypeError(f"no policy for {type(record).__name__}")


def case_access(user: User, case: Case) -> Decision:
    """How `user` relates to `case`, and which field groups she may decrypt.

    Decided once per request for each user and file (a file page asks for its guard, the identity,
    the timeline and the notes), and decided again as soon as a referral, a consent or the
    directory changes in the request.
    """
    decisions = request_memo()
    if decisions is None or user.id is None or case.id is None:
        return _decide_case_access(user, case)
    key = (user.id, user.agency_id, user.roles, case.id, case.owner_agency_id, case.status)
    decision = decisions.get(key)
    if decision is None:
        decision = decisions[key] = _decide_case_access(user, case)
    return decision


def _decide_case_access(user: User, case: Case) -> Decision:
    if user.roles & NO_IDENTITY_ROLES:
        return Decision(False, "none")  # whatever else the account holds
    if case.owner_agency_id == user.agency_id and Role.CASEWORKER in user.roles:
        from ..models.case import IDENTITY_COLUMNS

        return Decision(True, "owner", frozenset(IDENTITY_COLUMNS.values()) | {"risk_assessment"})
    if user.roles & {Role.CASEWORKER, Role.OFFICER}:
        shared = _fields_shared_with_agency(case, user.agency_id)
        if shared is not None:
            return Decision(True, "recipient", shared)
    return Decision(False, "none")


#: Built once (CONTRIBUTING.md, "Statements a page runs on every visit").
_AGENCYS_LISTING = (select(Referral).where(Referral.case_id == bindparam("case_id"),
                                           Referral.to_agency_id == bindparam("agency_id"),
                                           Referral.status != ReferralStatus.DRAFT)
                    .order_by(Referral.created_at))


def _fields_shared_with_agency(case: Case, agency_id: int) -> frozenset[str] | None:
    """Union of what the agency still reads through each of its referrals (each cut by the consent
    covering its own need, and by the end of access); None when no referral gives it access."""
    # Read as the agency's listing of the file (drafts left out, withdrawn ones kept), which its
    # file page shows next: `known_recipient_listing` gives it back without a second query.
    listing = db.session.execute(_AGENCYS_LISTING, {"case_id": case.id, "agency_id": agency_id}).scalars().all()
    memo = request_memo()
    if memo is not None:
        memo[(_LISTING, agency_id, case.id)] = listing
    referrals = [r for r in listing if r.status in DELIVERED_STATES]
    if not referrals:
        return None
    consents = active_consents(case)
    categories = active_categories({agency_id})
    accesses = [recipient_access(case, r, consents=consents, categories=categories) for r in referrals]
    if not any(a.open for a in accesses):
        return None
    return frozenset(f for a in accesses for f in a.fields)


# --- the request's decisions (kept in `memo`, forgotten when the rows they read change) ---------

def known_recipient_listing(user: User, case: Case) -> list[Referral] | None:
    """The referrals of `case` sent to the user's agency (drafts left out), as the request's access
    decision read them; None if it did not, or if a referral, consent or service changed since."""
    memo = request_memo()
    return None if memo is None else memo.get((_LISTING, user.agency_id, case.id))


#: Key prefix, in the request's memo, of an agency's listing of a file's referrals.
_LISTING = "listing"


def _require_case(user: User, action: Action, case: Case) -> Decision:
    access = case_access(user, case)
    if not access.allowed:
        raise NotFoundError(action, "case outside scope")
    if not user.roles & ACTIONS[action]:
        raise PermissionDenied(action, "role")
    owner_only = {
        Action.CASE_UPDATE, Action.CASE_CLOSE, Action.CASE_CONSENT, Action.CASE_ASSESS_RISK,
        Action.CASE_REFER,
    }
    if action in owner_only and access.relation != "owner":
        raise PermissionDenied(action, "only the owning association")
    if action in {Action.CASE_READ, Action.CASE_NOTE}:
        return access
    if action in owner_only:
        return access
    raise PermissionDenied(action, "not a file action")


def _require_referral(user: User, action: Action, referral: Referral) -> Decision:
    roles = user.roles
    is_sender = referral.from_agency_id == user.agency_id and Role.CASEWORKER in roles
    is_recipient = (
        referral.to_agency_id == user.agency_id
        and bool(roles & {Role.OFFICER, Role.CASEWORKER})
        and referral.status != ReferralStatus.DRAFT
    )
    # A draft is private to its author (a coordinator's own reassignment draft included).
    oversees = (Role.COORDINATOR in roles and _in_region(user, referral)
                and (referral.status != ReferralStatus.DRAFT or referral.created_by_id == user.id))
    if not (is_sender or is_recipient or oversees):
        raise NotFoundError(action, "referral outside scope")
    if not roles & ACTIONS[action]:
        raise PermissionDenied(action, "role")
    if action == Action.REFERRAL_READ:
        relation = "sender" if is_sender else "recipient" if is_recipient else "oversight"
        return Decision(True, relation)
    if action == Action.REFERRAL_RECEIVE and is_recipient:
        return Decision(True, "recipient")
    if action == Action.REFERRAL_SEND and is_sender:
        return Decision(True, "sender")
    if action == Action.REFERRAL_NUDGE and oversees:
        return Decision(True, "oversight")
    raise PermissionDenied(action, "wrong side of the referral")


def _require_region(user: User, action: Action, region: Region) -> Decision:
    """A region's statistics: a national coordinator sees every region, a regional one only hers."""
    if not has_role_for(user, action):
        raise PermissionDenied(action, "role")
    if user.region_id is not None and user.region_id != region.id:
        raise NotFoundError(action, "region outside scope")
    return Decision(True, "oversight")


def _require_hot_case(user: User, action: Action, hot_case: HotCase) -> Decision:
    """A hot case belongs to its governorate's coalition: a national coordinator sees every one, a
    regional coordinator those of her governorate; for anyone else it does not exist."""
    if not user.roles & ACTIONS[Action.HOT_CASE_READ]:
        raise NotFoundError(action, "hot case outside role")
    if user.region_id is not None and user.region_id != hot_case.region_id:
        raise NotFoundError(action, "hot case outside region")
    if not has_role_for(user, action):
        raise PermissionDenied(action, "role")
    return Decision(True, "oversight")


def _in_region(user: User, referral: Referral) -> bool:
    if user.region_id is None:
        return True  # national coordinator
    agency = db.session.get(Agency, referral.to_agency_id)
    return agency is not None and agency.region_id == user.region_id


def _require_account_approval(user: User, action: Action, approval: AccountApproval) -> Decision:
    """A lead decides the changes of her own agency's accounts, never one about herself or asked by
    herself; for anyone else the request does not exist."""
    if approval.agency_id != user.agency_id or Role.LEAD not in user.roles:
        raise NotFoundError(action, "approval outside scope")
    if action != Action.ACCOUNTS_APPROVE:
        raise PermissionDenied(action, "not an approval action")
    if user.id in (approval.user_id, approval.requested_by_id):
        raise PermissionDenied(action, "own account or own request")
    return Decision(True, "lead")


def _require_report(user: User, action: Action, report: PublicReport) -> Decision:
    """Associations covering the report's region see it; once claimed, only the claiming
    association acts on it and reads what she wrote (relation "handler")."""
    from .reports import agency_covers

    if Role.CASEWORKER not in user.roles or not agency_covers(user.agency_id, report.region_id):
        raise NotFoundError(action, "report outside region")
    handler = report.claimed_agency_id == user.agency_id
    if action == Action.REPORT_READ:
        return Decision(True, "handler" if handler else "region")
    if action != Action.REPORT_HANDLE:
        raise PermissionDenied(action, "not a report action")
    if report.claimed_agency_id is not None and not handler:
        raise PermissionDenied(action, "claimed by another association")
    return Decision(True, "handler")


def _require_stay(user: User, action: Action, stay: Stay) -> Decision:
    """The shelter's staff keep the stay; the referral's sending association reads it (what she
    reads is cut in services/stays.py `sender_view`); for anyone else it does not exist."""
    staff = stay.agency_id == user.agency_id and bool(user.roles & {Role.OFFICER, Role.CASEWORKER})
    referral = db.session.get(Referral, stay.referral_id)
    sender = referral is not None and referral.from_agency_id == user.agency_id and Role.CASEWORKER in user.roles
    if not (staff or sender):
        raise NotFoundError(action, "stay outside scope")
    if action == Action.STAY_READ:
        return Decision(True, "shelter" if staff else "sender")
    if action == Action.STAY_MANAGE and staff:
        return Decision(True, "shelter")
    raise PermissionDenied(action, "only the shelter keeps the stay")


def _require_extension(user: User, action: Action, extension: StayExtension) -> Decision:
    """Two people: the shelter's staff decide an extension, never the one who asked for it."""
    stay = db.session.get(Stay, extension.stay_id)
    decision = _require_stay(user, action, stay)
    if action != Action.STAY_MANAGE:
        raise PermissionDenied(action, "not an extension action")
    if user.id == extension.requested_by_id:
        raise PermissionDenied(action, "own request")
    return decision


def visible_case_fields(user: User, case: Case) -> frozenset[str]:
    """The consent groups of her file this user may read now."""
    return case_access(user, case).fields
