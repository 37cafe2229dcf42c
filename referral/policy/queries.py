"""Scoped queries: lists are filtered in SQL, so no page ever loads another agency's rows."""

from __future__ import annotations

from sqlalchemy import Select, false, select

from ..models import Agency, Case, Referral, User
from ..models.vocab import ReferralStatus, Role


def cases_query(user: User) -> Select:
    """Files the user's association owns (caseworkers only)."""
    if Role.CASEWORKER not in user.roles:
        return select(Case).where(false())
    return select(Case).where(Case.owner_agency_id == user.agency_id)


def inbox_query(user: User) -> Select:
    """Referrals sent to the user's agency, most urgent and soonest due first."""
    if not user.roles & {Role.OFFICER, Role.CASEWORKER}:
        return select(Referral).where(false())
    return (
        select(Referral)
        .where(Referral.to_agency_id == user.agency_id, Referral.status != ReferralStatus.DRAFT)
        # Callers filter on is_open; the order then follows ix_referrals_inbox exactly.
        .order_by(Referral.priority, Referral.next_due_at.asc().nulls_last(), Referral.id)
    )


def outbox_query(user: User) -> Select:
    if Role.CASEWORKER not in user.roles:
        return select(Referral).where(false())
    return (
        select(Referral)
        .where(Referral.from_agency_id == user.agency_id)
        .order_by(Referral.is_open.desc(), Referral.updated_at.desc(), Referral.id)
    )


def referrals_of_case_query(user: User, case: Case) -> Select:
    """The referrals of a file the user may list: all of them for the owner, her agency's for a
    recipient."""
    query = select(Referral).where(Referral.case_id == case.id).order_by(Referral.created_at)
    if case.owner_agency_id == user.agency_id and Role.CASEWORKER in user.roles:
        return query
    return query.where(Referral.to_agency_id == user.agency_id, Referral.status != ReferralStatus.DRAFT)


def oversight_referrals_query(user: User) -> Select:
    """Referral metadata a coordinator oversees (her region, or the whole network)."""
    if Role.COORDINATOR not in user.roles:
        return select(Referral).where(false())
    query = select(Referral)
    if user.region_id is not None:
        query = query.join(Agency, Agency.id == Referral.to_agency_id).where(Agency.region_id == user.region_id)
    return query
