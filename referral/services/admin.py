"""Account administration: create, disable, reset a second factor or a password.

The administrator manages accounts' existence but never reaches survivor identity alone: any
change that would open files to someone (a caseworker's or officer's account created or
re-enabled, her password or second factor reset, her designation as lead) is only asked here and
takes effect when a lead of her agency approves it (`account_approvals`).
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ..audit.log import record
from ..extensions import db
from ..models import AccountApproval, Agency, RecoveryCode, User, UserRole, UserSession
from ..models.base import utcnow
from ..models.vocab import AccountChange, AgencyKind, ApprovalStatus, Role
from ..notifications import agency_staff, notify
from ..policy import Action, require
from ..security.passwords import hash_password
from . import credentials

NETWORK_AGENCY_CODE = "NETWORK"
#: Roles that never read identity cannot be combined with roles that do: one account, one side.
NO_IDENTITY = {Role.COORDINATOR, Role.AUDITOR, Role.ADMIN}
WITH_IDENTITY = {Role.CASEWORKER, Role.OFFICER}
#: A request not decided within this many days expires: a lead must not approve something stale.
APPROVAL_DAYS = 7


class AccountError(ValueError):
    def __init__(self, field: str, code: str):
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


def temporary_password() -> str:
    """A one-time password an admin hands over; the user must change it at first login."""
    return "-".join(secrets.token_urlsafe(4) for _ in range(4))


def check_roles(roles: set[Role], agency: Agency) -> None:
    if not roles:
        raise AccountError("roles", "required")
    if roles & NO_IDENTITY and roles & WITH_IDENTITY:
        raise AccountError("roles", "incompatible")
    if roles & NO_IDENTITY and agency.kind != AgencyKind.NETWORK:
        raise AccountError("roles", "network_only")
    if roles & WITH_IDENTITY and agency.kind == AgencyKind.NETWORK:
        raise AccountError("agency_id", "not_network")
    if Role.CASEWORKER in roles and agency.kind != AgencyKind.ASSOCIATION:
        raise AccountError("roles", "caseworker_association_only")
    if Role.LEAD in roles and not roles & WITH_IDENTITY:
        raise AccountError("roles", "lead_needs_staff_role")


def new_user(*, username: str, display_name: str, agency: Agency, roles: set[Role], email: str | None = None,
             region_id: int | None = None, password: str | None = None,
             must_change_password: bool = True, active: bool = True) -> tuple[User, str]:
    """Create an account (no policy check: the callers are `create_user` and trusted commands)."""
    name = username.strip().casefold()
    if not name or len(name) > 80 or not all(ch.isalnum() or ch in "._-" for ch in name):
        raise AccountError("username", "invalid")
    if db.session.execute(select(User.id).where(User.username == name)).first():
        raise AccountError("username", "taken")
    check_roles(roles, agency)
    password = password or temporary_password()
    user = User(username=name, display_name=display_name.strip(), email=(email or None), agency_id=agency.id,
                region_id=region_id, password_hash=hash_password(password),
                must_change_password=must_change_password, active=active)
    user.role_rows = [UserRole(role=r) for r in sorted(roles)]
    db.session.add(user)
    db.session.flush([user])
    return user, password


def needs_approval(user: User) -> bool:
    """Whether changes to this account need a lead's approval: it reaches survivor files."""
    return bool(user.roles & WITH_IDENTITY)


def create_user(admin: User, **kwargs) -> tuple[User, str | None]:
    """Create an account. One that reaches files stays disabled, with a password nobody knows,
    until a lead of its agency approves it (then None is returned instead of a password)."""
    require(admin, Action.USERS_MANAGE)
    reaches_files = bool(kwargs["roles"] & WITH_IDENTITY)
    if reaches_files:
        kwargs["password"] = secrets.token_urlsafe(32)  # replaced at approval; never shown
    user, password = new_user(**kwargs, active=not reaches_files)
    record("admin.user_create", object_type="user", object_id=user.id,
           details={"username": user.username, "agency_id": user.agency_id,
                    "roles": sorted(r.value for r in user.roles)})
    if reaches_files:
        request_change(admin, user, AccountChange.CREATE)
        return user, None
    return user, password


def request_change(admin: User, user: User, kind: AccountChange) -> AccountApproval:
    """Ask the leads of the account's agency to approve `kind`; she and they are told."""
    require(admin, Action.USERS_MANAGE)
    if not needs_approval(user):
        raise AccountError("user", "no_approval_needed")
    if kind == AccountChange.GRANT_LEAD:
        if Role.LEAD in user.roles:
            raise AccountError("user", "already_lead")
        check_roles(user.roles | {Role.LEAD}, user.agency)
    _expire_stale(user.id)
    approval = AccountApproval(kind=kind, user_id=user.id, agency_id=user.agency_id, requested_by_id=admin.id)
    try:
        with db.session.begin_nested():
            db.session.add(approval)
            db.session.flush([approval])
    except IntegrityError:
        raise AccountError("user", "already_pending") from None
    record("account.approval_request", object_type="user", object_id=user.id,
           details={"kind": kind.value, "approval_id": approval.id})
    params = {"reference": user.username, "change": kind.value}
    leads = [lead for lead in agency_staff(user.agency_id, [Role.LEAD]) if lead.id != user.id]
    notify(leads, "account.approval_needed", params=params, path="/approvals")
    notify([user], "account.change_requested", params=params)
    return approval


def cancel_request(admin: User, approval: AccountApproval) -> None:
    require(admin, Action.USERS_MANAGE)
    if not decide(approval, admin, ApprovalStatus.CANCELLED):
        raise AccountError("approval", "already_decided")
    record("account.approval_cancel", object_type="user", object_id=approval.user_id,
           details={"kind": approval.kind.value, "approval_id": approval.id})


def decide(approval: AccountApproval, user: User | None, status: ApprovalStatus) -> bool:
    """Close a pending request, once: of two people deciding at the same moment, one wins."""
    done = db.session.execute(
        update(AccountApproval)
        .where(AccountApproval.id == approval.id, AccountApproval.status == ApprovalStatus.PENDING)
        .values(status=status, decided_by_id=user.id if user is not None else None, decided_at=utcnow())
    ).rowcount
    db.session.refresh(approval)
    return done == 1


def open_session_count(user: User) -> int:
    """Her sessions that have not ended (neither revoked nor expired)."""
    return db.session.execute(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None), UserSession.expires_at > utcnow())
    ).scalar_one()


def pending_requests(user: User) -> list[AccountApproval]:
    """The account's requests still waiting for a lead, oldest first (stale ones expire here)."""
    _expire_stale(user.id)
    return db.session.execute(
        select(AccountApproval).where(AccountApproval.user_id == user.id,
                                      AccountApproval.status == ApprovalStatus.PENDING)
        .order_by(AccountApproval.id)
    ).scalars().all()


def _expire_stale(user_id: int) -> None:
    db.session.execute(
        update(AccountApproval)
        .where(AccountApproval.user_id == user_id, AccountApproval.status == ApprovalStatus.PENDING,
               AccountApproval.requested_at < approval_cutoff())
        .values(status=ApprovalStatus.EXPIRED, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def approval_cutoff():
    from datetime import timedelta

    return utcnow() - timedelta(days=APPROVAL_DAYS)


def _refuse_if_needs_approval(user: User) -> None:
    if needs_approval(user):
        raise AccountError("user", "needs_approval")


def set_active(admin: User, user: User, active: bool) -> None:
    """Disabling is immediate and cancels what waited to open the account; re-enabling an account
    that reaches files is a request (`request_change`)."""
    require(admin, Action.USERS_MANAGE)
    if user.id == admin.id and not active:
        raise AccountError("user", "cannot_disable_self")
    if active:
        _refuse_if_needs_approval(user)
    else:
        for approval in pending_requests(user):
            if approval.kind in (AccountChange.CREATE, AccountChange.ENABLE) and decide(
                    approval, admin, ApprovalStatus.CANCELLED):
                record("account.approval_cancel", object_type="user", object_id=user.id,
                       details={"kind": approval.kind.value, "approval_id": approval.id})
    user.active = active
    # On re-enabling too: whatever was refused while she was disabled stays refused, for good.
    credentials.revoke_all(user.id)
    record("admin.user_enable" if active else "admin.user_disable", object_type="user", object_id=user.id)


def reset_second_factor(admin: User, user: User) -> None:
    """The user enrols a new authenticator at her next login; her sessions end now."""
    require(admin, Action.USERS_MANAGE)
    _refuse_if_needs_approval(user)
    clear_second_factor(user)
    record("admin.second_factor_reset", object_type="user", object_id=user.id)


def clear_second_factor(user: User) -> None:
    user.totp_secret_ct = user.totp_key_id = user.totp_confirmed_at = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    credentials.revoke_all(user.id)


def reset_password(admin: User, user: User) -> str:
    require(admin, Action.USERS_MANAGE)
    _refuse_if_needs_approval(user)
    password = give_temporary_password(user)
    record("admin.password_reset", object_type="user", object_id=user.id)
    return password


def give_temporary_password(user: User) -> str:
    password = temporary_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    credentials.revoke_all(user.id)
    return password


def remove_lead(admin: User, user: User) -> None:
    """Taking the lead role away is immediate: it opens nothing."""
    require(admin, Action.USERS_MANAGE)
    if Role.LEAD not in user.roles:
        raise AccountError("user", "not_lead")
    user.role_rows = [row for row in user.role_rows if row.role != Role.LEAD]
    record("admin.lead_remove", object_type="user", object_id=user.id)


def network_agency() -> Agency:
    agency = db.session.execute(select(Agency).where(Agency.code == NETWORK_AGENCY_CODE)).scalar_one_or_none()
    if agency is None:
        agency = Agency(code=NETWORK_AGENCY_CODE, kind=AgencyKind.NETWORK, sector="network",
                        name_ar="الشبكة", name_fr="Le réseau", name_en="The network")
        db.session.add(agency)
        db.session.flush([agency])
    return agency


def bootstrap_admin(*, username: str, display_name: str, email: str | None) -> tuple[User, str]:
    user, password = new_user(username=username, display_name=display_name, agency=network_agency(),
                              roles={Role.ADMIN}, email=email)
    record("admin.bootstrap", object_type="user", object_id=user.id, details={"username": user.username})
    return user, password
