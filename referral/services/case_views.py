"""Read models for the caseworker's pages: the file list and the file timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..audit.log import record
from ..extensions import db
from ..models import Case, CaseEvent, Consent, Referral, ReferralEvent, User
from ..models.vocab import CaseStatus, ReferralStatus
from ..policy import Action, cases_query, referrals_of_case_query, require
from ..policy.fields import active_categories, active_consents
from ..policy.recipients import recipient_access
from ..security.case_crypto import prefetch_case_ciphers, unseal_text
from .paging import page_of

PAGE_SIZE = 25


@dataclass(frozen=True)
class CaseRow:
    case: Case
    name: str | None
    open_referrals: int


def case_referrals(user: User, case: Case) -> list[Referral]:
    """The referrals of a file she may list, with the agency each went to."""
    return list(db.session.execute(referrals_of_case_query(user, case)
                                   .options(joinedload(Referral.to_agency))).scalars())


def list_cases(user: User, *, status: str = "open", risk: str | None = None, page: int = 1,
               only: list[Case] | None = None) -> tuple[list[CaseRow], bool]:
    """One page of the association's files, names decrypted for the rows shown only."""
    require(user, Action.CASE_LIST)
    if only is not None:
        cases, has_next = only, False
    else:
        query = cases_query(user)
        if status in ("open", "closed"):
            query = query.where(Case.status == CaseStatus(status))
        if risk:
            query = query.where(Case.risk_level == risk)
        query = query.order_by(Case.last_activity_at.desc(), Case.id.desc())
        found = page_of(query, page, PAGE_SIZE)
        cases, has_next = found.items, found.has_next
    counts = dict(db.session.execute(
        select(Referral.case_id, func.count()).where(Referral.case_id.in_([c.id for c in cases]),
                                                     Referral.is_open.is_(True)).group_by(Referral.case_id)
    ).all()) if cases else {}
    prefetch_case_ciphers(c.id for c in cases if not c.shredded_at)  # one query, not one per row
    result = [CaseRow(c, None if c.shredded_at else unseal_text(c.id, "cases", "full_name", c.id, c.full_name_ct),
                      counts.get(c.id, 0)) for c in cases]
    if cases:
        record("case.list", object_type="case", fields=["full_name"],
               details={"case_numbers": [c.case_number for c in cases]})
    return result, has_next


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    actor: str | None
    details: dict
    referral: Referral | None = None


def timeline(user: User, case: Case, referrals: list[Referral] | None = None) -> list[TimelineEntry]:
    """Everything that happened to the file that the user may see, oldest first.

    `referrals`: the file's referrals as `referrals_of_case_query` lists them for the user, when
    the page has them already. Actors' names come with the events (two queries in all).
    """
    decision = require(user, Action.CASE_READ, case)
    # Plain rows of the columns shown: a file's history is dozens of events, and the ORM would
    # build an object of every column for each (the file page's largest read).
    events = (select(CaseEvent.occurred_at, CaseEvent.kind, CaseEvent.details, User.display_name)
              .outerjoin(User, User.id == CaseEvent.actor_user_id)
              .where(CaseEvent.case_id == case.id).order_by(CaseEvent.occurred_at))
    if decision.relation != "owner":
        # Her plan and the association's own approvals are its business, not the recipients'.
        for internal in ("goal\\_%", "case\\_plan\\_%", "case\\_close\\_%", "shred\\_request\\_%"):
            events = events.where(CaseEvent.kind.not_like(internal, escape="\\"))
    entries = [TimelineEntry(e.occurred_at, f"event_{e.kind}", e.display_name, e.details or {})
               for e in db.session.execute(events)]
    if referrals is None:
        referrals = db.session.execute(referrals_of_case_query(user, case)).scalars().all()
    by_id = {r.id: r for r in referrals if r.case_id == case.id}
    if by_id:
        for event in db.session.execute(
            select(ReferralEvent.occurred_at, ReferralEvent.action, ReferralEvent.to_status,
                   ReferralEvent.reason_code, ReferralEvent.referral_id, User.display_name)
            .outerjoin(User, User.id == ReferralEvent.actor_user_id)
            .where(ReferralEvent.referral_id.in_(list(by_id))).order_by(ReferralEvent.occurred_at)
        ):
            entries.append(TimelineEntry(
                event.occurred_at, f"action_{event.action}", event.display_name,
                {"to": event.to_status.value, "reason": event.reason_code}, by_id[event.referral_id]))
    entries.sort(key=lambda e: e.at)
    return entries


def open_referral_count(case: Case) -> int:
    return db.session.execute(
        select(func.count()).select_from(Referral).where(Referral.case_id == case.id,
                                                         Referral.status != ReferralStatus.DRAFT,
                                                         Referral.is_open.is_(True))
    ).scalar_one()


def what_recipients_see(case: Case, referrals: list[Referral], *, without: Consent | None = None,
                        consents: list[Consent] | None = None) -> dict:
    """For the owner's file page: what each receiving agency still reads through each sent referral
    (a RecipientAccess per referral id; drafts are nobody's but hers). With `without`, what they
    would read once that consent is withdrawn: the confirmation before a withdrawal. `consents`:
    the file's consents if the page has read them already (withdrawn ones are left out here)."""
    sent = [r for r in referrals if r.status != ReferralStatus.DRAFT]
    if not sent:
        return {}
    # Each agency's services decide which consents cover it: their categories, in one query.
    categories = active_categories({r.to_agency_id for r in sent})
    in_force = active_consents(case) if consents is None else [c for c in consents if c.withdrawn_at is None]
    consents = [c for c in in_force if without is None or c.id != without.id]
    return {r.id: recipient_access(case, r, consents=consents, categories=categories) for r in sent}


def withdrawal_preview(user: User, case: Case, consent: Consent) -> list[tuple[Referral, object, object]]:
    """Each sent referral with what its agency reads now and what it will read once `consent` is
    withdrawn: what the caseworker confirms before withdrawing."""
    referrals = db.session.execute(referrals_of_case_query(user, case)
                                   .options(joinedload(Referral.to_agency))).scalars().all()
    now = what_recipients_see(case, referrals)
    after = what_recipients_see(case, referrals, without=consent)
    return [(r, now[r.id], after[r.id]) for r in referrals if r.id in now]


@dataclass(frozen=True)
class NextStep:
    """One step of the work on an open file, in the order it is done with her."""

    name: str  # "consent", "risk", "refer"
    done: bool


def next_steps(case: Case, consents: list[Consent], assessment, referrals: list[Referral]) -> list[NextStep]:
    """Consent first (nothing is shared without it), then the risk (it sets the urgency), then the
    referral. Empty for a closed file."""
    if case.status != CaseStatus.OPEN:
        return []
    return [NextStep("consent", any(c.withdrawn_at is None for c in consents)),
            NextStep("risk", assessment is not None),
            NextStep("refer", any(r.status != ReferralStatus.DRAFT for r in referrals))]
