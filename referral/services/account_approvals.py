"""The two-person rule on access to identity: an administrator asks, a lead of the agency decides.

A request to open, re-enable or reset an account that reaches survivor files changes nothing until
a lead of that account's own agency approves it; she is never the person concerned nor the one who
asked. The temporary password of a new or reset account is shown once to the approving lead, who
hands it over in person: the administrator never holds a credential that opens files. An agency's
first lead is designated by the operator on the server (`flask designate-lead`), who already holds
the master keys, so that step adds no new lone power.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..audit.log import record
from ..extensions import db
from ..models import AccountApproval, User, UserRole
from ..models.vocab import AccountChange, ApprovalStatus, Role
from ..notifications import notify
from ..policy import Action, require
from . import credentials
from .admin import (
    AccountError,
    approval_cutoff,
    check_roles,
    clear_second_factor,
    decide,
    give_temporary_password,
    pending_requests,
)


@dataclass(frozen=True)
class Decided:
    approval: AccountApproval
    #: Shown once to the approving lead, for a new account or a password reset.
    temporary_password: str | None = None


def find_request(approval_id: int) -> AccountApproval | None:
    return db.session.get(AccountApproval, approval_id)


def waiting_for(lead: User) -> list[AccountApproval]:
    """Requests about her agency's accounts that she may decide, oldest first."""
    require(lead, Action.ACCOUNTS_APPROVE)
    return db.session.execute(
        select(AccountApproval).where(
            AccountApproval.agency_id == lead.agency_id, AccountApproval.status == ApprovalStatus.PENDING,
            AccountApproval.requested_at >= approval_cutoff(), AccountApproval.user_id != lead.id)
        .order_by(AccountApproval.id)
    ).scalars().all()


def approve(lead: User, approval: AccountApproval) -> Decided:
    """Apply the change: the request is decided once, whoever else approves at the same moment."""
    require(lead, Action.ACCOUNTS_APPROVE, approval)
    _still_open(approval)
    if not decide(approval, lead, ApprovalStatus.APPROVED):
        raise AccountError("approval", "already_decided")
    password = _apply(approval)
    _decided("account.approval_grant", "account.change_approved", approval)
    return Decided(approval, password)


def refuse(lead: User, approval: AccountApproval) -> Decided:
    require(lead, Action.ACCOUNTS_APPROVE, approval)
    _still_open(approval)
    if not decide(approval, lead, ApprovalStatus.REFUSED):
        raise AccountError("approval", "already_decided")
    _decided("account.approval_refuse", "account.change_refused", approval)
    return Decided(approval)


def designate_first_lead(user: User) -> str | None:
    """The operator's command: make `user` a lead of her agency, approving her own pending account
    if it waits. Returns her temporary password when her account is opened now."""
    check_roles(user.roles | {Role.LEAD}, user.agency)
    password = None
    for approval in pending_requests(user):
        if approval.kind == AccountChange.CREATE and decide(approval, None, ApprovalStatus.APPROVED):
            password = _apply(approval)
        elif approval.kind == AccountChange.GRANT_LEAD:
            decide(approval, None, ApprovalStatus.APPROVED)
    if Role.LEAD not in user.roles:
        user.role_rows.append(UserRole(role=Role.LEAD))
    record("account.operator_designate_lead", object_type="user", object_id=user.id,
           details={"username": user.username, "agency_id": user.agency_id, "opened": password is not None})
    return password


def _still_open(approval: AccountApproval) -> None:
    if approval.status != ApprovalStatus.PENDING:
        raise AccountError("approval", "already_decided")
    if approval.requested_at < approval_cutoff():
        raise AccountError("approval", "expired")


def _apply(approval: AccountApproval) -> str | None:
    user = approval.user
    kind = approval.kind
    if kind == AccountChange.CREATE:
        user.active = True
        return give_temporary_password(user)
    if kind == AccountChange.ENABLE:
        user.active = True
        credentials.revoke_all(user.id)
    elif kind == AccountChange.RESET_PASSWORD:
        return give_temporary_password(user)
    elif kind == AccountChange.RESET_SECOND_FACTOR:
        clear_second_factor(user)
    elif kind == AccountChange.GRANT_LEAD:
        check_roles(user.roles | {Role.LEAD}, user.agency)
        if Role.LEAD not in user.roles:
            user.role_rows.append(UserRole(role=Role.LEAD))
    return None


def _decided(action: str, kind: str, approval: AccountApproval) -> None:
    record(action, object_type="user", object_id=approval.user_id,
           details={"kind": approval.kind.value, "approval_id": approval.id})
    told = [approval.user] + ([approval.requested_by] if approval.requested_by is not None else [])
    notify(told, kind, params={"reference": approval.user.username, "change": approval.kind.value})

