"""Account administration: create, disable, reset a second factor or a password."""

from __future__ import annotations

import secrets

from sqlalchemy import delete, select

from ..audit.log import record
from ..extensions import db
from ..models import Agency, RecoveryCode, User, UserRole
from ..models.vocab import AgencyKind, Role
from ..policy import Action, require
from ..security.passwords import hash_password
from . import credentials

NETWORK_AGENCY_CODE = "NETWORK"
#: Roles that never read identity cannot be combined with roles that do: one account, one side.
NO_IDENTITY = {Role.COORDINATOR, Role.AUDITOR, Role.ADMIN}
WITH_IDENTITY = {Role.CASEWORKER, Role.OFFICER}


class AccountError(ValueError):
    def __init__(self, field: str, code: str):
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


def temporary_password() -> str:
    """A one-time password an admin hands over; the user must change it at first login."""
    return "-".join(secrets.token_urlsafe(4) for _ in range(4))


def _check_roles(roles: set[Role], agency: Agency) -> None:
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


def new_user(*, username: str, display_name: str, agency: Agency, roles: set[Role], email: str | None = None,
             region_id: int | None = None, password: str | None = None,
             must_change_password: bool = True) -> tuple[User, str]:
    """Create an account (no policy check: the callers are `create_user` and trusted commands)."""
    name = username.strip().casefold()
    if not name or len(name) > 80 or not all(ch.isalnum() or ch in "._-" for ch in name):
        raise AccountError("username", "invalid")
    if db.session.execute(select(User.id).where(User.username == name)).first():
        raise AccountError("username", "taken")
    _check_roles(roles, agency)
    password = password or temporary_password()
    user = User(username=name, display_name=display_name.strip(), email=(email or None), agency_id=agency.id,
                region_id=region_id, password_hash=hash_password(password),
                must_change_password=must_change_password, active=True)
    user.role_rows = [UserRole(role=r) for r in sorted(roles)]
    db.session.add(user)
    db.session.flush([user])
    return user, password


def create_user(admin: User, **kwargs) -> tuple[User, str]:
    require(admin, Action.USERS_MANAGE)
    user, password = new_user(**kwargs)
    record("admin.user_create", object_type="user", object_id=user.id,
           details={"username": user.username, "agency_id": user.agency_id,
                    "roles": sorted(r.value for r in user.roles)})
    return user, password


def set_active(admin: User, user: User, active: bool) -> None:
    require(admin, Action.USERS_MANAGE)
    if user.id == admin.id and not active:
        raise AccountError("user", "cannot_disable_self")
    user.active = active
    # On re-enabling too: whatever was refused while she was disabled stays refused, for good.
    credentials.revoke_all(user.id)
    record("admin.user_enable" if active else "admin.user_disable", object_type="user", object_id=user.id)


def reset_second_factor(admin: User, user: User) -> None:
    """The user enrols a new authenticator at her next login; her sessions end now."""
    require(admin, Action.USERS_MANAGE)
    user.totp_secret_ct = user.totp_key_id = user.totp_confirmed_at = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    credentials.revoke_all(user.id)
    record("admin.second_factor_reset", object_type="user", object_id=user.id)


def reset_password(admin: User, user: User) -> str:
    require(admin, Action.USERS_MANAGE)
    password = temporary_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    credentials.revoke_all(user.id)
    record("admin.password_reset", object_type="user", object_id=user.id)
    return password


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
