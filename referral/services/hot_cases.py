"""Hot cases (issue 18, part 5): flagged, listed without identity, decided on and reviewed by the
coalition of a governorate.

Who does what:

- her caseworker flags her own file (the association that owns it); a coordinator flags a referral
  she oversees, by its reference. A regional coordinator's flag is her governorate's to follow;
  any other flag goes to the file's governorate (else its association's).
- the governorate's coordinators (a national coordinator: every governorate) list the hot cases,
  read one with its referrals' timeline and overdue steps, add follow-up decisions, review it (the
  next review then falls after the set interval) and close it. Decisions carry the version the
  coordinator read: a decision written on an older one is refused, and two at once cannot both pass.
- the reminder job (jobs/hot_case_reviews.py) tells the governorate's coordinators once when a
  review falls due.

Nothing here shows who she is: no name, no file number (a hot case has its own, HC-00012), only the
non-identifying facts the observatory counts. What people write is sealed under the file's key.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..audit.log import record
from ..extensions import db
from ..models import Agency, Breach, Case, HotCase, HotCaseDecision, Referral, ReferralEvent, User, UserRole
from ..models.base import utcnow
from ..models.hot_case import DECISION_KINDS, HOT_CASE_REASONS
from ..models.vocab import Role, plain_value
from ..policy import Action, NotFoundError, PermissionDenied, has_role_for, require
from ..security.case_crypto import seal, unseal_text
from .errors import InputError
from .records import get_record
from .timeline import add_case_event

TEXT_MAX = 2000
DEFAULT_REVIEW_DAYS = 14
REVIEW_DAYS = range(1, 91)


class StaleHotCase(ValueError):
    """A decision was written on a version of the hot case that is no longer the current one."""


# -- flagging --------------------------------------------------------------------------------------------
def flag_file(user: User, case: Case, reason: str, comment: str | None, review_every_days=DEFAULT_REVIEW_DAYS
              ) -> HotCase:
    """Her caseworker flags her own file."""
    if not has_role_for(user, Action.HOT_CASE_FLAG) or Role.CASEWORKER not in user.roles:
        raise PermissionDenied(Action.HOT_CASE_FLAG, "role", case)
    if require(user, Action.CASE_UPDATE, case).relation != "owner":
        raise PermissionDenied(Action.HOT_CASE_FLAG, "the file is her association's", case)
    return _flag(user, case, None, reason, comment, review_every_days, _file_region(case))


def flag_referral(user: User, reference: str, reason: str, comment: str | None,
                  review_every_days=DEFAULT_REVIEW_DAYS) -> HotCase:
    """A coordinator flags a referral she oversees, by its reference. One outside her oversight is
    answered like one that does not exist (and the refusal is audited)."""
    if not has_role_for(user, Action.HOT_CASE_READ):
        raise PermissionDenied(Action.HOT_CASE_FLAG, "role")
    reference = (reference or "").strip().upper()
    if not reference:
        raise InputError("reference", "required")
    referral = db.session.execute(select(Referral).where(Referral.reference == reference)).scalar_one_or_none()
    if referral is None:
        raise InputError("reference", "unknown_reference")
    require(user, Action.REFERRAL_READ, referral)  # her oversight: her governorate's referrals, or all
    case = db.session.get(Case, referral.case_id)
    region_id = user.region_id if user.region_id is not None else _file_region(case)
    return _flag(user, case, referral, reason, comment, review_every_days, region_id)


def _file_region(case: Case) -> int | None:
    if case.region_id is not None:
        return case.region_id
    return db.session.execute(select(Agency.region_id).where(Agency.id == case.owner_agency_id)).scalar_one_or_none()


def _checked_days(value) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise InputError("review_every_days", "review_days") from None
    if days not in REVIEW_DAYS:
        raise InputError("review_every_days", "review_days")
    return days


def _checked_text(field_name: str, value: str | None, *, required: bool) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise InputError(field_name, "required")
    if len(text) > TEXT_MAX:
        raise InputError(field_name, "too_long")
    return text or None


def _flag(user: User, case: Case, referral: Referral | None, reason: str, comment: str | None, review_every_days,
          region_id: int | None) -> HotCase:
    if reason not in HOT_CASE_REASONS:
        raise InputError("reason", "unknown_value")
    days = _checked_days(review_every_days)
    comment = _checked_text("comment", comment, required=False)
    if case.shredded_at is not None:  # nothing of her is left to follow, nor a key to seal with
        raise InputError("reason", "already_erased")
    if open_hot_case_of(case) is not None:
        raise InputError("reason", "already_hot")
    now = utcnow()
    hot = HotCase(case_id=case.id, referral_id=referral.id if referral else None, region_id=region_id, reason=reason,
                  flagged_by_id=user.id, flagged_at=now, review_every_days=days,
                  next_review_at=now + timedelta(days=days), version=1)
    try:
        with db.session.begin_nested():  # a flag made at the same moment wins the unique index
            db.session.add(hot)
            db.session.flush([hot])
    except IntegrityError:
        raise InputError("reason", "already_hot") from None
    hot.comment_ct = seal(case.id, "hot_cases", "comment", hot.id, comment)
    add_case_event(user, case, "hot_case_flagged", {"hot_case": hot.number, "reason": reason}, None, now)
    record("hot_case.flag", object_type="hot_case", object_id=hot.id, case_id=case.id,
           details={"reason": reason, "region_id": region_id, "review_every_days": days,
                    **({"referral": referral.reference} if referral else {})})
    _notify(coordinators_of(region_id), "hot_case.flagged", hot)
    return hot


def open_hot_case_of(case: Case) -> HotCase | None:
    """The file's open hot case, for the file page's badge (her caseworker sees it is followed)."""
    return db.session.execute(select(HotCase).where(HotCase.case_id == case.id, HotCase.closed_at.is_(None))
                              ).scalar_one_or_none()


# -- reading ---------------------------------------------------------------------------------------------
@dataclass
class HotCaseRow:
    """One line of the coalition's list: no identity, the facts the observatory counts."""

    hot_case: HotCase
    violence_type: str | None
    age_band: str | None
    risk_level: str | None
    open_referrals: int
    overdue_steps: int
    review_due: bool


def hot_cases(user: User, *, closed: bool = False, now: datetime | None = None) -> list[HotCaseRow]:
    """The open (or, with `closed`, the closed) hot cases of her governorate, next review first."""
    require(user, Action.HOT_CASE_READ)
    now = now or utcnow()
    query = (select(HotCase, Case.violence_type, Case.age_band, Case.risk_level).join(Case, Case.id == HotCase.case_id)
             .where(HotCase.closed_at.is_not(None) if closed else HotCase.closed_at.is_(None)))
    if user.region_id is not None:
        query = query.where(HotCase.region_id == user.region_id)
    query = query.order_by(HotCase.closed_at.desc() if closed else HotCase.next_review_at, HotCase.id).limit(500)
    rows = db.session.execute(query).all()
    case_ids = {row.HotCase.case_id for row in rows}
    open_referrals = dict(db.session.execute(
        select(Referral.case_id, func.count()).where(Referral.case_id.in_(case_ids), Referral.is_open.is_(True))
        .group_by(Referral.case_id)).all()) if case_ids else {}
    overdue = dict(db.session.execute(
        select(Referral.case_id, func.count()).join(Breach, Breach.referral_id == Referral.id)
        .where(Referral.case_id.in_(case_ids), Breach.resolved_at.is_(None)).group_by(Referral.case_id)).all()
    ) if case_ids else {}
    record("hot_case.list", details={"closed": closed, "count": len(rows), "region_id": user.region_id})
    return [HotCaseRow(row.HotCase, plain_value(row.violence_type), plain_value(row.age_band),
                       plain_value(row.risk_level), open_referrals.get(row.HotCase.case_id, 0),
                       overdue.get(row.HotCase.case_id, 0),
                       row.HotCase.closed_at is None and row.HotCase.next_review_at <= now)
            for row in rows]


@dataclass
class ReferralLine:
    """One referral of the hot case's file: who to whom, where it stands, its steps and what is late."""

    referral: Referral
    from_agency: str
    to_agency: str
    events: list[ReferralEvent]
    overdue: list[Breach]


@dataclass
class HotCaseView:
    hot_case: HotCase
    facts: dict[str, str | None]
    comment: str | None
    flagged_by: str
    referrals: list[ReferralLine]
    decisions: list[tuple[HotCaseDecision, str | None, str]] = field(default_factory=list)
    review_due: bool = False

    def facts_for_list(self) -> dict[str, str | None]:
        return {key: self.facts[key] for key in ("violence_type", "age_band", "risk_level")}


def get_hot_case(user: User, hot_case_id) -> HotCase:
    """The hot case if she may see it; "not found" (audited) if it does not exist or is not hers."""
    hot = get_record(HotCase, hot_case_id)
    if hot is None:
        raise NotFoundError(Action.HOT_CASE_READ, "no such hot case")
    require(user, Action.HOT_CASE_READ, hot)
    return hot


def hot_case_view(user: User, hot: HotCase, *, locale: str = "en", now: datetime | None = None) -> HotCaseView:
    """Everything the coalition follows of one hot case; reading it is audited with the file."""
    require(user, Action.HOT_CASE_READ, hot)
    now = now or utcnow()
    case = db.session.get(Case, hot.case_id)
    referrals = db.session.execute(select(Referral).where(Referral.case_id == case.id, Referral.sent_at.is_not(None))
                                   .order_by(Referral.sent_at)).scalars().all()
    ids = [r.id for r in referrals]
    events, overdue = defaultdict(list), defaultdict(list)
    if ids:
        for event in db.session.execute(select(ReferralEvent).where(ReferralEvent.referral_id.in_(ids))
                                        .order_by(ReferralEvent.occurred_at, ReferralEvent.id)).scalars():
            events[event.referral_id].append(event)
        for breach in db.session.execute(select(Breach).where(Breach.referral_id.in_(ids), Breach.resolved_at.is_(None))
                                         .order_by(Breach.due_at)).scalars():
            overdue[breach.referral_id].append(breach)
    agencies = {a.id: a for a in db.session.execute(select(Agency).where(Agency.id.in_(
        {r.from_agency_id for r in referrals} | {r.to_agency_id for r in referrals}))).scalars()} if referrals else {}
    people = _names({hot.flagged_by_id} | {d.decided_by_id for d in hot.decisions})
    lines = [ReferralLine(r, _agency_name(agencies.get(r.from_agency_id), locale),
                          _agency_name(agencies.get(r.to_agency_id), locale), events[r.id], overdue[r.id])
             for r in referrals]
    decisions = [(d, unseal_text(case.id, "hot_case_decisions", "text", d.id, d.text_ct),
                  people.get(d.decided_by_id, "")) for d in hot.decisions]
    record("hot_case.read", object_type="hot_case", object_id=hot.id, case_id=case.id,
           details={"region_id": hot.region_id})
    return HotCaseView(hot, {"violence_type": plain_value(case.violence_type), "age_band": plain_value(case.age_band),
                             "risk_level": plain_value(case.risk_level),
                             "perpetrator_relationship": plain_value(case.perpetrator_relationship)},
                       unseal_text(case.id, "hot_cases", "comment", hot.id, hot.comment_ct),
                       people.get(hot.flagged_by_id, ""), lines, decisions,
                       hot.closed_at is None and hot.next_review_at <= now)


def _agency_name(agency: Agency | None, locale: str) -> str:
    return "" if agency is None else agency.name(locale)


def _names(user_ids: set[int]) -> dict[int, str]:
    """Who flagged and who decided, as the coalition knows its members: their full names."""
    return {u.id: u.display_name or u.username
            for u in db.session.execute(select(User).where(User.id.in_(user_ids))).scalars()}


# -- deciding --------------------------------------------------------------------------------------------
def decide(user: User, hot: HotCase, kind: str, text: str | None, *, expected_version, review_every_days=None
           ) -> HotCaseDecision:
    """A follow-up decision, a review (the next falls `review_every_days` later, the interval kept
    unless changed) or the closing. The version she read must still be the current one: the
    conditional UPDATE lets one of two decisions made at once through, never both."""
    require(user, Action.HOT_CASE_DECIDE, hot)
    if kind not in DECISION_KINDS:
        raise InputError("kind", "unknown_value")
    text = _checked_text("text", text, required=True)
    days = hot.review_every_days if review_every_days in (None, "") else _checked_days(review_every_days)
    if hot.closed_at is not None:
        raise InputError("kind", "not_open")
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise StaleHotCase() from None
    now = utcnow()
    values: dict = {"version": HotCase.version + 1, "review_every_days": days}
    next_review = None
    if kind == "review" or days != hot.review_every_days:
        next_review = now + timedelta(days=days)
        values.update(next_review_at=next_review, reminded_at=None)
    if kind == "close":
        values.update(closed_at=now, closed_by_id=user.id)
    changed = db.session.execute(
        update(HotCase).where(HotCase.id == hot.id, HotCase.version == expected, HotCase.closed_at.is_(None))
        .values(**values).execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise StaleHotCase()
    db.session.refresh(hot)
    decision = HotCaseDecision(hot_case_id=hot.id, kind=kind, decided_by_id=user.id, decided_at=now,
                               next_review_at=next_review)
    db.session.add(decision)
    db.session.flush([decision])
    decision.text_ct = seal(hot.case_id, "hot_case_decisions", "text", decision.id, text)
    record(f"hot_case.{kind}", object_type="hot_case", object_id=hot.id, case_id=hot.case_id,
           details={"version": hot.version, "review_every_days": days,
                    **({"next_review_at": next_review.isoformat()} if next_review else {})})
    if kind == "close":
        case = db.session.get(Case, hot.case_id)
        add_case_event(user, case, "hot_case_closed", {"hot_case": hot.number}, None, now)
    return decision


# -- reminding -------------------------------------------------------------------------------------------
def coordinators_of(region_id: int | None) -> list[User]:
    """Who follows a governorate's hot cases: its regional coordinators, else the national ones."""
    query = (select(User).join(UserRole, UserRole.user_id == User.id)
             .where(UserRole.role == Role.COORDINATOR, User.active.is_(True)).order_by(User.id))
    regional = db.session.execute(query.where(User.region_id == region_id)).scalars().all() if region_id else []
    return regional or list(db.session.execute(query.where(User.region_id.is_(None))).scalars())


def notify_coalition(kind: str, hot: HotCase) -> None:
    """Tell the governorate's coordinators about the hot case (its number and a link, nothing of her)."""
    _notify(coordinators_of(hot.region_id), kind, hot)


def _notify(users: list[User], kind: str, hot: HotCase) -> None:
    from ..notifications import notify

    notify(users, kind, params={"hot_case": hot.number, "hot_case_id": hot.id}, path=f"/hot-cases/{hot.id}")
