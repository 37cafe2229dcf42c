"""The auditor's view of the access log: filters become one query on indexed columns, read a page
at a time (keyset on the event id) or in batches for exports, so a million events never sit in
memory. The page, the CSV export and the API share it. Also the two things an auditor writes to
the log herself: the record of an export, and a signature over the chain head.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Row, Select, false, select

from ..audit import external
from ..audit.external import ExternalCheckpoint
from ..audit.log import record
from ..audit.sequencer import waiting
from ..audit.verify import VerificationResult, sign_head, verify_chain
from ..extensions import db
from ..models import Agency, AuditChainHead, AuditCheckpoint, AuditEvent, Case, User
from ..models.vocab import AuditOutcome
from ..policy import Action, require
from ..security.keys import app_keys

PAGE_SIZE = 50
EXPORT_BATCH = 1000

#: Everything an event row shows, plus the actor's agency code and the file's number (never its identity).
EVENT_COLUMNS = (
    AuditEvent.id, AuditEvent.occurred_at, AuditEvent.action, AuditEvent.outcome,
    AuditEvent.actor_user_id, AuditEvent.actor_username, AuditEvent.actor_agency_id, AuditEvent.actor_roles,
    AuditEvent.session_ref, AuditEvent.object_type, AuditEvent.object_id, AuditEvent.case_id,
    AuditEvent.fields, AuditEvent.ip_address, AuditEvent.purpose, AuditEvent.break_glass_reason,
    AuditEvent.details, AuditEvent.chain_position, AuditEvent.prev_hash, AuditEvent.hash,
    Agency.code.label("agency_code"), Case.case_number.label("case_number"),
)


@dataclass(frozen=True)
class AuditFilters:
    username: str | None = None
    agency_id: int | None = None
    case_number: str | None = None
    #: Start of the action name: "case." matches case.read, case.update...
    action: str | None = None
    outcome: AuditOutcome | None = None
    #: Whole UTC days, both ends included.
    date_from: date | None = None
    date_to: date | None = None
    break_glass_only: bool = False

    def as_details(self) -> dict:
        """The filters that are set, as JSON values (for the export's own audit event)."""
        out = {}
        for name, value in vars(self).items():
            if value in (None, "", False):
                continue
            out[name] = value.isoformat() if isinstance(value, date) else getattr(value, "value", value)
        return out


@dataclass(frozen=True)
class EventPage:
    rows: list[Row]
    #: Pass as `before` to get the next (older) page; None on the last page.
    older_than: int | None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _filtered(filters: AuditFilters) -> Select:
    query = (
        select(*EVENT_COLUMNS)
        .outerjoin(Agency, Agency.id == AuditEvent.actor_agency_id)
        .outerjoin(Case, Case.id == AuditEvent.case_id)
    )
    if filters.username:
        name = filters.username.strip().casefold()
        # Accounts are never renamed, so a known account is searched by id (indexed with the time);
        # names without an account ("cli", "system") by the copied name.
        user_id = db.session.execute(select(User.id).where(User.username == name)).scalar_one_or_none()
        query = query.where(AuditEvent.actor_user_id == user_id if user_id is not None
                            else AuditEvent.actor_username == name)
    if filters.agency_id is not None:
        query = query.where(AuditEvent.actor_agency_id == filters.agency_id)
    if filters.case_number:
        case_id = db.session.execute(
            select(Case.id).where(Case.case_number == filters.case_number.strip().upper())
        ).scalar_one_or_none()
        query = query.where(AuditEvent.case_id == case_id if case_id is not None else false())
    if filters.action:
        query = query.where(AuditEvent.action.startswith(filters.action.strip(), autoescape=True))
    if filters.outcome is not None:
        query = query.where(AuditEvent.outcome == filters.outcome)
    if filters.date_from is not None:
        query = query.where(AuditEvent.occurred_at >= _day_start(filters.date_from))
    if filters.date_to is not None:
        query = query.where(AuditEvent.occurred_at < _day_start(filters.date_to + timedelta(days=1)))
    if filters.break_glass_only:
        query = query.where(AuditEvent.break_glass_reason.is_not(None))
    return query


def events_page(user: User, filters: AuditFilters, *, before: int | None = None,
                size: int = PAGE_SIZE) -> EventPage:
    """Newest first; `before` is the id of the last event of the previous page."""
    require(user, Action.AUDIT_READ)
    query = _filtered(filters)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    rows = db.session.execute(query.order_by(AuditEvent.id.desc()).limit(size + 1)).all()
    older_than = rows[size - 1].id if len(rows) > size else None
    return EventPage(rows[:size], older_than)


def start_export(user: User, filters: AuditFilters, *, batch: int | None = None) -> Iterator[Row]:
    """Record the export in the log now (it commits with the request), then hand back a lazy
    iterator over the matching events, oldest first, read `batch` rows at a time."""
    require(user, Action.AUDIT_EXPORT)
    record("audit.export", object_type="audit_log", details={"filters": filters.as_details()})
    return _batches(filters, batch or EXPORT_BATCH)


def _batches(filters: AuditFilters, batch: int) -> Iterator[Row]:
    after = 0
    while True:
        rows = db.session.execute(
            _filtered(filters).where(AuditEvent.id > after).order_by(AuditEvent.id).limit(batch)
        ).all()
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].id


@dataclass(frozen=True)
class ChainStatus:
    result: VerificationResult
    #: The chain position of the last event linked into the chain.
    head_position: int
    latest_checkpoint: AuditCheckpoint | None
    #: The signing key's public half (hex of the raw Ed25519 key, also the checkpoints' key
    #: fingerprint): auditors verify the outside copies of the checkpoints with it, without the app.
    public_key: str
    #: The latest checkpoint kept outside the database, if any.
    latest_external: ExternalCheckpoint | None
    #: Events written and not linked into the chain yet (the sequencer runs every few seconds).
    waiting: int = 0


def chain_status(user: User) -> ChainStatus:
    require(user, Action.AUDIT_READ)
    result = verify_chain()
    head = db.session.execute(select(AuditChainHead.last_position).where(AuditChainHead.id == 1)).scalar()
    latest = db.session.execute(
        select(AuditCheckpoint).order_by(AuditCheckpoint.event_id.desc()).limit(1)
    ).scalar_one_or_none()
    outside, _ = external.read_all()
    return ChainStatus(result, head or 0, latest, app_keys().audit_key_fingerprint(),
                       outside[-1] if outside else None, waiting().count)


def sign_now(user: User) -> AuditCheckpoint | None:
    """Sign the chain head now; the signing is itself logged (as the event after the one signed).

    Raises `ChainBroken` (the log does not verify since its last checkpoint) or
    `ExternalCheckpointError` (no copy could be written outside the database): nothing is signed."""
    require(user, Action.AUDIT_READ)
    checkpoint = sign_head()
    if checkpoint is not None:
        db.session.flush()
        record("audit.sign", object_type="audit_checkpoint", object_id=checkpoint.id,
               details={"event_id": checkpoint.event_id, "key": checkpoint.key_fingerprint[:16]})
    return checkpoint
