"""Read models for the caseworker's pages: the file list and the file timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, literal, null, select, type_coerce, union_all
from sqlalchemy.orm import joinedload

from ..audit.log import record
from ..extensions import db
from ..models import Case, CaseEvent, Consent, Referral, ReferralEvent, User
from ..models.vocab import CaseStatus, ReferralStatus, Role
from ..policy import Action, cases_query, referrals_of_case_query, require
from ..policy.core import known_recipient_listing
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


#: Built once (CONTRIBUTING.md, "Statements a page runs on every visit").
#: The owner's list is `referrals_of_case_query`'s for the owner, with the agency each went to.
_OWNERS_REFERRALS = (select(Referral).where(Referral.case_id == bindparam("case_id")).order_by(Referral.created_at)
                     .options(joinedload(Referral.to_agency)))


def case_referrals(user: User, case: Case) -> list[Referral]:
    """The referrals of a file she may list, with the agency each went to. A receiving agency's
    list is the one its access decision read in this request, when it did (all of them went to
    her own agency, already loaded)."""
    if case.owner_agency_id == user.agency_id and Role.CASEWORKER in user.roles:
        return list(db.session.execute(_OWNERS_REFERRALS, {"case_id": case.id}).scalars())
    known = known_recipient_listing(user, case)
    if known is not None:
        return list(known)
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
    the page has them already. Actors' names come with the events: one query.
    """
    decision = require(user, Action.CASE_READ, case)
    if referrals is None:
        referrals = db.session.execute(referrals_of_case_query(user, case)).scalars().all()
    by_id = {r.id: r for r in referrals if r.case_id == case.id}
    # Plain rows of the columns shown, the file's events and its referrals' in one statement: a
    # file's history is dozens of events, and the ORM would build an object of every column for
    # each (the file page's largest read).
    events = (select(CaseEvent.occurred_at, CaseEvent.kind.label("kind"), CaseEvent.details,
                     type_coerce(null(), ReferralEvent.to_status.type).label("to_status"),
                     type_coerce(null(), ReferralEvent.reason_code.type).label("reason_code"),
                     type_coerce(null(), ReferralEvent.referral_id.type).label("referral_id"),
                     User.display_name, literal(0).label("source"))
              .outerjoin(User, User.id == CaseEvent.actor_user_id)
              .where(CaseEvent.case_id == case.id))
    if decision.relation != "owner":
        # Her plan and the association's own approvals are its business, not the recipients'.
        for internal in ("goal\\_%", "case\\_plan\\_%", "case\\_close\\_%", "shred\\_request\\_%"):
            events = events.where(CaseEvent.kind.not_like(internal, escape="\\"))
    if by_id:
        events = union_all(events, (
            select(ReferralEvent.occurred_at, ReferralEvent.action, null(), ReferralEvent.to_status,
                   ReferralEvent.reason_code, ReferralEvent.referral_id, User.display_name, literal(1))
            .outerjoin(User, User.id == ReferralEvent.actor_user_id)
            .where(ReferralEvent.referral_id.in_(list(by_id)))))
    events = events.order_by("occurred_at", "source")
    entries = []
    for e in db.session.execute(events):
        if e.source == 0:
            entries.append(TimelineEntry(e.occurred_at, f"event_{e.kind}", e.display_name, e.details or {}))
        else:
            entries.append(TimelineEntry(e.occurred_at, f"action_{e.kind}", e.display_name,
                                         {"to": e.to_status.value, "reason": e.reason_code}, by_id[e.referral_id]))
    return entries


def file_history(user: User, case: Case) -> list[TimelineEntry]:
    """The file's history read on its own (the file page's timeline, opened when she asks): what
    `timeline` gives her, recorded in the access log as a reading of the file's history."""
    entries = timeline(user, case, case_referrals(user, case))
    record("case.read", object_type="case", object_id=case.id, case_id=case.id, purpose="history",
           details={"case_number": case.case_number})
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
