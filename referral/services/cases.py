"""Survivor files: opening, reading (audited, per field), searching, duplicates, closing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..audit.log import record
from ..extensions import db
from ..models import Agency, Case, CaseBlindIndex, CaseEvent, CaseKey, Referral, Region, User
from ..models.base import utcnow, uuid7
from ..models.case import IDENTITY_COLUMNS
from ..models.vocab import (
    AgeBand,
    CaseStatus,
    ClosureReason,
    IncidentPlace,
    IntakeChannel,
    PerpetratorRelationship,
    ServiceCategory,
    StatisticsConsent,
    ViolenceFlag,
    ViolenceType,
)
from ..policy import Action, require
from ..security.blind_index import BlindIndexError
from ..security.case_crypto import (
    case_cipher,
    create_case_key,
    prefetch_case_ciphers,
    remember_wrapped_key,
    seal,
    unseal_text,
)
from ..security.keys import app_keys
from ..workflows import engine
from . import duplicates
from .approval_steps import needs_approval
from .errors import InputError
from .numbers import next_number
from .plan import drop_open_goals, open_goal_count
from .timeline import add_case_event

#: Columns with a blind index, and the identity column each reads.
BLIND_INDEXED = {"phone": "phone", "national_id": "national_id", "full_name": "full_name"}
#: Why an emergency read happens. Only these codes reach the access log: a free text there would
#: keep names and places in clear, shown to auditors and surviving the file's erasure.
EMERGENCY_REASONS = ("danger_now", "medical_emergency", "shelter_admission", "missing")
#: Statistics fields a caseworker sets in clear.
DETAIL_FIELDS = (
    "region_id", "age_band", "disability", "violence_type", "violence_flags", "perpetrator_relationship",
    "incident_date", "incident_place", "channel", "statistics_consent",
)


class StaleCase(ValueError):
    """The file changed since the user opened the form."""


@dataclass(frozen=True)
class DuplicateHint:
    """Another association's file matches this one. Only its owners learn of the match (services/duplicates)."""

    agency_id: int
    agency_code: str
    case_id: uuid.UUID | None = None  # their file, so they are told which woman


def _validated_identity(identity: dict) -> dict:
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in identity.items() if k in IDENTITY_COLUMNS}
    indexer = app_keys().blind_index
    for column in ("phone", "national_id"):
        if values.get(column):
            try:
                indexer.normalize(column, values[column])
            except BlindIndexError:
                raise InputError(column, f"invalid_{column}") from None
    return values


def open_case(
    user: User, identity: dict, details: dict, *, at: datetime | None = None, anonymous_ok: bool = False
) -> tuple[Case, list[DuplicateHint]]:
    """Open a file owned by the user's association. A hotline call may stay anonymous."""
    require(user, Action.CASE_CREATE)
    values = _validated_identity(identity)
    if not values.get("full_name") and not anonymous_ok:
        raise InputError("full_name", "required")
    parsed = _parsed_details(details)
    at = at or utcnow()
    case = Case(id=uuid7(), case_number=next_number("case", "CAS", at), owner_agency_id=user.agency_id,
                caseworker_id=user.id, status=CaseStatus.OPEN, opened_at=at, last_activity_at=at,
                violence_flags=[])
    _apply_details(case, parsed)
    db.session.add(case)
    db.session.flush([case])
    create_case_key(case.id)
    written = write_identity(case, values)
    db.session.add(CaseEvent(case_id=case.id, kind="opened", occurred_at=at, actor_user_id=user.id,
                             actor_agency_id=user.agency_id, details={"channel": case.channel.value}))
    record("case.create", object_type="case", object_id=case.id, case_id=case.id, fields=written,
           details={"case_number": case.case_number})
    hints = possible_duplicates(case)
    return case, hints if duplicates.after_open(user, case, hints) else []


def open_anonymous_case(user: User, details: dict, *, at: datetime | None = None) -> Case:
    """A case with no identity at all (issue 17): the observatory counts it, a referral or an alert
    can carry it without naming her. No duplicate check: there is nothing to compare."""
    case, _hints = open_case(user, {}, details, at=at, anonymous_ok=True)
    record("case.anonymous", object_type="case", object_id=case.id, case_id=case.id,
           details={"case_number": case.case_number})
    return case


DETAIL_ENUMS = {
    "age_band": AgeBand, "violence_type": ViolenceType, "perpetrator_relationship": PerpetratorRelationship,
    "incident_place": IncidentPlace, "channel": IntakeChannel, "statistics_consent": StatisticsConsent,
}


def _parsed_details(details: dict) -> dict:
    """The statistics fields given, checked and converted before anything is written; an unknown
    code is an input error, not a database error."""
    parsed = {}
    for name in DETAIL_FIELDS:
        if name not in details:
            continue
        value = details[name]
        if value is not None and name in DETAIL_ENUMS:
            try:
                value = DETAIL_ENUMS[name](value)
            except ValueError:
                raise InputError(name, "unknown_value") from None
        if name == "region_id" and value is not None and db.session.get(Region, value) is None:
            raise InputError(name, "unknown_value")
        if name == "violence_flags":
            value = sorted(set(value or []))
            if set(value) - {f.value for f in ViolenceFlag}:
                raise InputError(name, "unknown_value")
        parsed[name] = value
    return parsed


def _apply_details(case: Case, parsed: dict) -> None:
    for name, value in parsed.items():
        setattr(case, name, value)


def write_identity(case: Case, values: dict) -> list[str]:
    """Encrypt the given identity columns (None clears one) and refresh their blind indexes."""
    written = []
    for column, value in values.items():
        if column not in IDENTITY_COLUMNS:
            raise InputError(column, "unknown_field")
        setattr(case, f"{column}_ct", seal(case.id, "cases", column, case.id, value))
        written.append(column)
    indexer = app_keys().blind_index
    for index_column, source in BLIND_INDEXED.items():
        if source not in values:
            continue
        db.session.execute(delete(CaseBlindIndex).where(CaseBlindIndex.case_id == case.id,
                                                        CaseBlindIndex.column == index_column))
        if values[source]:
            db.session.add(CaseBlindIndex(case_id=case.id, column=index_column,
                                          value=indexer.compute(index_column, values[source])))
    return written


def update_case(user: User, case: Case, identity: dict, details: dict, *, expected_version: int) -> Case:
    require(user, Action.CASE_UPDATE, case)
    # Everything is checked before anything is written: a refused edit leaves the file as it was.
    values = _validated_identity(identity)
    if "full_name" in values and not values["full_name"]:
        raise InputError("full_name", "required")
    parsed = _parsed_details(details)
    # Claim the version in SQL: of two editors who read the same version, one updates nothing.
    claimed = db.session.execute(
        update(Case).where(Case.id == case.id, Case.version == expected_version)
        .values(version=Case.version + 1).execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise StaleCase()
    set_committed_value(case, "version", expected_version + 1)
    current = read_identity(user, case, columns=[c for c in values], purpose="update", audit=False)
    changed = {c: v for c, v in values.items() if (v or None) != (current.get(c) or None)}
    written = write_identity(case, changed) if changed else []
    before = {name: getattr(case, name) for name in DETAIL_FIELDS}
    _apply_details(case, parsed)
    changed_details = [name for name in DETAIL_FIELDS if getattr(case, name) != before[name]]
    case.last_activity_at = utcnow()
    record("case.update", object_type="case", object_id=case.id, case_id=case.id,
           fields=written + changed_details, details={"case_number": case.case_number})
    return case


def read_identity(user: User, case: Case, *, columns=None, purpose: str = "view",
                  break_glass_reason: str | None = None, audit: bool = True) -> dict[str, str | None]:
    """Decrypt the identity columns `user` may see (of `columns`, default all), and log which."""
    if break_glass_reason is not None:
        require(user, Action.CASE_BREAK_GLASS)
        if break_glass_reason not in EMERGENCY_REASONS:
            raise InputError("break_glass_reason", "unknown_reason")
        visible = set(IDENTITY_COLUMNS.values())
    else:
        visible = set(require(user, Action.CASE_READ, case).fields)
    wanted = [c for c in (columns or IDENTITY_COLUMNS) if IDENTITY_COLUMNS[c] in visible]
    if case.shredded_at is not None:
        return {}
    case_cipher(case.id)  # unwrap once, fail early and clearly if the key is missing
    result = {c: unseal_text(case.id, "cases", c, case.id, getattr(case, f"{c}_ct")) for c in wanted}
    if audit:
        record("case.break_glass_read" if break_glass_reason else "case.read", object_type="case",
               object_id=case.id, case_id=case.id, fields=[c for c in wanted if result.get(c) is not None],
               purpose=purpose, break_glass_reason=break_glass_reason,
               details={"case_number": case.case_number})
    return result


def search(user: User, column: str, value: str, *, limit: int = 20) -> list[Case]:
    """Find the user's association's files by exact phone, national ID or name, via the blind index.

    Candidates share a truncated hash; each is confirmed by decrypting the one column and
    comparing normalised values, so only true matches come back.
    """
    require(user, Action.CASE_SEARCH)
    if column not in BLIND_INDEXED:
        raise InputError("column", "unknown_field")
    indexer = app_keys().blind_index
    try:
        wanted = indexer.normalize(column, value)
        digest = indexer.compute(column, value)
    except BlindIndexError:
        raise InputError("value", f"invalid_{column}") from None
    source = BLIND_INDEXED[column]
    # Only what confirming needs: a common name has a hundred candidates network-wide, and a file
    # row carries every sealed field. The matches are loaded whole afterwards.
    candidates = db.session.execute(
        select(Case.id, getattr(Case, f"{source}_ct"))
        .join(CaseBlindIndex, CaseBlindIndex.case_id == Case.id)
        .where(CaseBlindIndex.column == column, CaseBlindIndex.value == digest,
               Case.owner_agency_id == user.agency_id, Case.shredded_at.is_(None))
        .order_by(Case.opened_at.desc())
        .limit(200)
    ).all()
    prefetch_case_ciphers(c.id for c in candidates)  # every candidate is confirmed: their keys in one query
    confirmed = [case_id for case_id, blob in candidates if _confirms(case_id, blob, source, column, wanted)]
    confirmed = confirmed[:limit]
    found = db.session.execute(select(Case).where(Case.id.in_(confirmed))).scalars() if confirmed else []
    rows = {c.id: c for c in found}
    matches = [rows[case_id] for case_id in confirmed if case_id in rows]
    record("case.search", object_type="case", fields=[BLIND_INDEXED[column]],
           details={"column": column, "candidates": len(candidates), "matches": len(matches)})
    return matches


def _confirms(case_id, blob: bytes | None, source: str, column: str, wanted: str) -> bool:
    plain = unseal_text(case_id, "cases", source, case_id, blob)
    if not plain:
        return False
    try:
        return app_keys().blind_index.normalize(column, plain) == wanted
    except BlindIndexError:
        return False


def possible_duplicates(case: Case) -> list[DuplicateHint]:
    """Other associations' open files that match this one on phone, national ID or name.

    Runs only when a file is opened with her identity, never on a lookup. The system decrypts the
    candidates to confirm them; `duplicates.after_open` decides what anyone is told.
    """
    mine = db.session.execute(
        select(CaseBlindIndex.column, CaseBlindIndex.value).where(CaseBlindIndex.case_id == case.id)
    ).all()
    if not mine:
        return []
    indexer = app_keys().blind_index
    found: dict[int, DuplicateHint] = {}
    own = {c: unseal_text(case.id, "cases", BLIND_INDEXED[c], case.id, getattr(case, f"{BLIND_INDEXED[c]}_ct"))
           for c, _ in mine}
    for column, value in mine:
        rows = db.session.execute(
            select(Case)
            .join(CaseBlindIndex, CaseBlindIndex.case_id == Case.id)
            .where(CaseBlindIndex.column == column, CaseBlindIndex.value == value,
                   Case.owner_agency_id != case.owner_agency_id, Case.status == CaseStatus.OPEN,
                   Case.shredded_at.is_(None))
            .limit(50)
        ).scalars().all()
        wanted = indexer.normalize(column, own[column]) if own.get(column) else None
        for other in rows:
            if other.owner_agency_id in found or wanted is None:
                continue
            source = BLIND_INDEXED[column]
            if _confirms(other.id, getattr(other, f"{source}_ct"), source, column, wanted):
                agency = db.session.get(Agency, other.owner_agency_id)
                found[agency.id] = DuplicateHint(agency.id, agency.code, other.id)
    return list(found.values())


def close_case(user: User, case: Case, reason: ClosureReason, comment: str | None = None, *,
               services_received: list[str] | None = None, approved: bool = False) -> None:
    """Close the file with its outcome (the reason) and the kinds of service she received (for
    the observatory). Goals of her plan still open need the comment to say why: they are dropped
    with it. Where her association puts closures under its supervisor's approval, only an approved
    request closes (services/supervision.py)."""

    require(user, Action.CASE_CLOSE, case)
    if case.status == CaseStatus.CLOSED:
        raise InputError("status", "already_closed")
    if not approved and needs_approval(case, "case_close"):
        raise InputError("status", "needs_approval")
    received = list(dict.fromkeys(services_received or ()))
    if any(value not in {c.value for c in ServiceCategory} for value in received):
        raise InputError("services_received", "unknown_value")
    comment = (comment or "").strip() or None
    open_goals = open_goal_count(case)
    if open_goals and not comment:
        raise InputError("comment", "open_goals")
    at = utcnow()
    _withdraw_open_referrals(user, case, at)
    if open_goals:
        drop_open_goals(user, case, comment)
    case.status, case.closed_at, case.closure_reason = CaseStatus.CLOSED, at, ClosureReason(reason)
    case.services_received = [c.value for c in ServiceCategory if c.value in received]
    case.version += 1
    add_case_event(user, case, "closed", {"reason": ClosureReason(reason).value}, comment, at)
    record("case.close", object_type="case", object_id=case.id, case_id=case.id,
           details={"reason": ClosureReason(reason).value, "services_received": case.services_received,
                    "goals_dropped": open_goals})


def _withdraw_open_referrals(user: User, case: Case, at: datetime) -> None:
    """A closed file leaves no referral open: each is withdrawn through the engine, so its recipient
    is told, its timers stop and it counts as withdrawn. (Closing also ends every recipient's
    access to her data: the policy reads the file's status.)"""
    open_referrals = db.session.execute(
        select(Referral).where(Referral.case_id == case.id, Referral.is_open.is_(True))
        .order_by(Referral.created_at)
    ).scalars().all()
    for referral in open_referrals:
        try:
            engine.fire(referral, "withdraw", user, at=at, audit_details={"cause": "case_closed"})
        except engine.InvalidTransition:
            # Completed or declined by its recipient since it was listed (the engine re-read the
            # locked row into `referral`): nothing left to withdraw, the closure ends her access.
            if referral.is_open:
                raise


def reopen_case(user: User, case: Case, comment: str) -> None:
    require(user, Action.CASE_CLOSE, case)
    if case.status != CaseStatus.CLOSED:
        raise InputError("status", "not_closed")
    if not (comment or "").strip():
        raise InputError("comment", "required")
    at = utcnow()
    case.status, case.closed_at, case.closure_reason = CaseStatus.OPEN, None, None
    case.version += 1
    case.last_activity_at = at
    add_case_event(user, case, "reopened", {}, comment, at)
    record("case.reopen", object_type="case", object_id=case.id, case_id=case.id)


#: Built once (CONTRIBUTING.md, "Statements a page runs on every visit").
_CASE_WITH_ITS_KEY = (select(Case, CaseKey).outerjoin(CaseKey, CaseKey.case_id == Case.id)
                      .where(Case.id == bindparam("case_id"))
                      .options(joinedload(Case.region), joinedload(Case.owner_agency)))


def get_case(case_id: uuid.UUID | str) -> Case | None:
    """The file with its region and the association that holds it (every file page names both),
    and its wrapped data key in the same statement (unwrapped only if the page decrypts it)."""
    try:
        key = case_id if isinstance(case_id, uuid.UUID) else uuid.UUID(str(case_id))
    except ValueError:
        return None
    found = db.session.execute(_CASE_WITH_ITS_KEY, {"case_id": key}).first()
    if found is None:
        return None
    if found.CaseKey is not None:
        remember_wrapped_key(found.CaseKey)
    return found.Case
