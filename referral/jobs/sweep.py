"""The SLA sweep: record breaches once, tell the right people, escalate, and flag stalled files.

Each step claims its rows with one conditional UPDATE ... RETURNING (the row changes state in the
statement that selects it), in batches of ``BATCH`` per transaction under the job lease, so:
- a second run, or a second process, finds nothing left to claim (nothing happens twice);
- the cost follows the number of due rows: every query walks an index from its due end
  (``ix_sla_timers_due``, ``ix_breaches_awaiting_escalation``, ``ix_cases_owner_status_activity``);
- nothing is ever decrypted: notifications carry reference numbers only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, insert, literal_column, select, update

from ..audit.context import acting_as
from ..audit.log import record
from ..extensions import db
from ..models import Agency, AuditEvent, Breach, Case, Escalation, JobLock, Referral, SlaPolicy, SlaTimer, User
from ..models.base import utcnow
from ..models.vocab import Role, Urgency
from ..notifications import notify_batch, notify_each, staff_of_agencies
from ..stats import daily_stats
from .locks import SCHEDULER_ACTOR, JobLease

BATCH = 500
DEFAULT_ESCALATE_AFTER_MINUTES = 240
DEFAULT_STALLED_AFTER_MINUTES = 14 * 24 * 60
#: job_locks row whose last_finished_at is the stall watermark: files inactive since before it
#: have been looked at already, so each sweep reads only the files that went stale since.
STALL_WATERMARK = "case_stalled"
JOB = "sla_sweep"


@dataclass
class SweepReport:
    breaches: int = 0
    escalations: int = 0
    stalled: int = 0
    batches: int = 0
    #: Another process held the sweep: this run stopped without doing anything more.
    skipped: bool = False


def run_sla_sweep(now: datetime | None = None, *, batch_size: int | None = None) -> SweepReport:
    """One sweep at ``now`` (default: the current time). Commits after every batch of
    ``batch_size`` rows (default: setting SLA_SWEEP_BATCH, else 500)."""
    now = now or utcnow()
    batch_size = batch_size or int(current_app.config.get("SLA_SWEEP_BATCH", BATCH))
    report = SweepReport()
    lease = JobLease(JOB)
    with acting_as(SCHEDULER_ACTOR):
        try:
            for step in (_breach_batch, _escalation_batch, _stall_batch):
                while True:
                    if not lease.hold():
                        db.session.rollback()
                        report.skipped = True
                        return report
                    claimed = step(now, batch_size, report)
                    db.session.commit()
                    report.batches += 1
                    if claimed < batch_size:
                        break
        except BaseException:
            db.session.rollback()
            raise
        finally:
            lease.release()
    return report


# --- breaches ------------------------------------------------------------------------------


def due_timers(now: datetime, limit: int):
    """Running, unbreached timers due by ``now``, soonest first: a range scan of ix_sla_timers_due.

    The state is a literal, not a bound parameter: SQLite uses a partial index only when the
    query repeats the index's WHERE terms as written.
    """
    return (
        select(SlaTimer.id)
        .where(SlaTimer.state == literal_column("'running'"), SlaTimer.breached_at.is_(None),
               SlaTimer.due_at <= now)
        .order_by(SlaTimer.due_at)
        .limit(limit)
    )


def _breach_batch(now: datetime, size: int, report: SweepReport) -> int:
    claimed = db.session.execute(
        update(SlaTimer)
        .where(SlaTimer.id.in_(due_timers(now, size).scalar_subquery()),
               SlaTimer.state == "running", SlaTimer.breached_at.is_(None))
        .values(breached_at=now)
        .returning(SlaTimer.id, SlaTimer.referral_id, SlaTimer.kind, SlaTimer.due_at)
        .execution_options(synchronize_session=False)
    ).all()
    if not claimed:
        return 0
    referrals, caseworkers = _referrals({row.referral_id for row in claimed})
    kinds = defaultdict(list)
    timers = defaultdict(list)
    breaches = []
    for row in claimed:
        referral = referrals[row.referral_id]
        timers[row.referral_id].append(row.id)
        breaches.append({"timer_id": row.id, "referral_id": row.referral_id, "kind": row.kind, "due_at": row.due_at,
                         "breached_at": now})
        record("sla.breach", object_type="referral", object_id=referral.id, case_id=referral.case_id,
               details={"reference": referral.reference, "timer": row.kind.value, "due_at": row.due_at.isoformat()})
        kinds[row.referral_id].append(row.kind.value)
    db.session.execute(insert(Breach.__table__), breaches)  # one executemany, through Core: no ORM step per row
    daily_stats.first_breaches(timers, now)
    staff = staff_of_agencies({r.to_agency_id for r in referrals.values()}, (Role.OFFICER, Role.CASEWORKER))
    # The referring side: who sent it, and the file's caseworker if someone else now holds it.
    sender_ids = {r.id: [r.created_by_id, caseworkers[r.id]] for r in referrals.values()}
    senders = _users({uid for ids in sender_ids.values() for uid in ids if uid})
    def told(referral_id) -> list[User]:
        """The receiving agency's staff and the referring side."""
        return staff.get(referrals[referral_id].to_agency_id, []) + [
            senders[u] for u in sender_ids[referral_id] if u in senders]

    notify_batch("referral.breach", [(referrals[referral_id], told(referral_id), {"timers": sorted(timer_kinds)})
                                     for referral_id, timer_kinds in kinds.items()])
    report.breaches += len(claimed)
    return len(claimed)


def _referrals(ids: set) -> tuple[dict, dict]:
    """The claimed referrals (reference, routing columns only: plain rows, not ORM objects, as a
    day's backlog claims thousands) and their files' caseworkers."""
    rows = db.session.execute(
        select(Referral.id, Referral.reference, Referral.case_id, Referral.to_agency_id, Referral.created_by_id,
               Case.caseworker_id)
        .join(Case, Case.id == Referral.case_id)
        .where(Referral.id.in_(ids))
    ).all()
    return {r.id: r for r in rows}, {r.id: r.caseworker_id for r in rows}


def _users(ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    rows = db.session.execute(select(User).where(User.id.in_(ids), User.active.is_(True))).scalars()
    return {u.id: u for u in rows}


# --- escalations ---------------------------------------------------------------------------


def escalate_after() -> timedelta:
    return timedelta(minutes=int(current_app.config.get("SLA_ESCALATE_AFTER_MINUTES",
                                                        DEFAULT_ESCALATE_AFTER_MINUTES)))


def breaches_to_escalate(cutoff: datetime, limit: int):
    """Unresolved breaches not escalated yet, breached by ``cutoff``, oldest first: a range scan of
    ix_breaches_awaiting_escalation, which holds only these. The breaches already escalated but
    still open (they pile up over months of history) are not read at all."""
    return (
        select(Breach.id)
        .where(Breach.resolved_at.is_(None), Breach.escalated_at.is_(None), Breach.breached_at <= cutoff)
        .order_by(Breach.breached_at)
        .limit(limit)
    )


def _escalation_batch(now: datetime, size: int, report: SweepReport) -> int:
    waiting = breaches_to_escalate(now - escalate_after(), size)
    claimed = db.session.execute(
        update(Breach)
        .where(Breach.id.in_(waiting.scalar_subquery()), Breach.escalated_at.is_(None),
               Breach.resolved_at.is_(None))
        .values(escalated_at=now)
        .returning(Breach.id, Breach.referral_id, Breach.kind)
        .execution_options(synchronize_session=False)
    ).all()
    if not claimed:
        return 0
    referrals, _ = _referrals({row.referral_id for row in claimed})
    regions = dict(db.session.execute(
        select(Agency.id, Agency.region_id).where(Agency.id.in_({r.to_agency_id for r in referrals.values()}))
    ).all())
    national, regional = _coordinators()
    kinds = defaultdict(list)
    escalations = []
    for row in claimed:
        referral = referrals[row.referral_id]
        people = national + regional.get(regions.get(referral.to_agency_id), [])
        # No coordinator at all: the row still records the escalation.
        escalations += [{"breach_id": row.id, "level": 1, "notified_user_id": user.id if user else None,
                         "created_at": now} for user in people or [None]]
        record("sla.escalation", object_type="referral", object_id=referral.id, case_id=referral.case_id,
               details={"reference": referral.reference, "timer": row.kind.value, "breach_id": row.id,
                        "coordinators": len(people)})
        kinds[row.referral_id].append(row.kind.value)
    db.session.execute(insert(Escalation.__table__), escalations)
    notify_batch("referral.escalation", [
        (referrals[referral_id], national + regional.get(regions.get(referrals[referral_id].to_agency_id), []),
         {"timers": sorted(timer_kinds)})
        for referral_id, timer_kinds in kinds.items()])
    report.escalations += len(claimed)
    return len(claimed)


def _coordinators() -> tuple[list[User], dict[int, list[User]]]:
    """National coordinators (no region), and regional ones by region."""
    from ..models import UserRole

    users = db.session.execute(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.COORDINATOR, User.active.is_(True))
        .order_by(User.id)
    ).scalars().unique().all()
    regional: dict[int, list[User]] = defaultdict(list)
    for user in users:
        if user.region_id is not None:
            regional[user.region_id].append(user)
    return [u for u in users if u.region_id is None], regional


# --- stalled files -------------------------------------------------------------------------


def stalled_after() -> timedelta:
    """Inactivity after which an open file is stalled: the general standard policy's setting."""
    minutes = db.session.execute(
        select(SlaPolicy.stalled_after_minutes)
        .where(SlaPolicy.urgency == Urgency.STANDARD, SlaPolicy.service_category.is_(None))
    ).scalar()
    return timedelta(minutes=minutes or DEFAULT_STALLED_AFTER_MINUTES)


def stalled_cases(cutoff: datetime, since: datetime | None, limit: int, owners: list[int]):
    """Open files whose last activity is in [since, cutoff] and that were not flagged since it.

    One index range per owning agency on ix_cases_owner_status_activity (owner_agency_id IN (...)
    is a list of seeks on both databases); the NOT EXISTS probes ix_audit_events_case. The
    watermark ``since`` keeps the range to files that went stale since the last sweep.
    """
    action = AuditEvent.action
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite without statistics sees the per-action index as good as the per-file one (the
        # first holds every "case.stalled" event of the network); a unary + keeps it off that one.
        action = literal_column("+audit_events.action")
    flagged = exists().where(AuditEvent.case_id == Case.id, action == "case.stalled",
                             AuditEvent.occurred_at >= Case.last_activity_at)
    query = (
        select(Case.id, Case.case_number, Case.caseworker_id, Case.owner_agency_id, Case.last_activity_at)
        .where(Case.owner_agency_id.in_(owners),
               Case.status == literal_column("'open'"), Case.last_activity_at <= cutoff, ~flagged)
        .order_by(Case.last_activity_at, Case.id)
        .limit(limit)
    )
    if since is not None:
        query = query.where(Case.last_activity_at >= since)
    return query


def _stall_batch(now: datetime, size: int, report: SweepReport) -> int:
    cutoff = now - stalled_after()
    mark = db.session.execute(
        select(JobLock).where(JobLock.name == STALL_WATERMARK).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if mark is None:
        mark = JobLock(name=STALL_WATERMARK)
        db.session.add(mark)
    owners = list(db.session.execute(select(Agency.id)).scalars())
    rows = db.session.execute(stalled_cases(cutoff, mark.last_finished_at, size, owners)).all()
    caseworkers = _users({r.caseworker_id for r in rows if r.caseworker_id})
    # Files without an active caseworker go to their association's caseworkers.
    orphaned = {r.owner_agency_id for r in rows if r.caseworker_id not in caseworkers}
    staff = staff_of_agencies(orphaned, (Role.CASEWORKER,))
    news = []
    for row in rows:
        record("case.stalled", object_type="case", object_id=row.id, case_id=row.id,
               details={"case_number": row.case_number, "inactive_since": row.last_activity_at.isoformat()})
        people = [caseworkers[row.caseworker_id]] if row.caseworker_id in caseworkers else \
            staff.get(row.owner_agency_id, [])
        news.append((people, {"case": row}))
    notify_each("case.stalled", news)
    # A full batch may stop inside a run of equal timestamps: restart from the last one (the
    # NOT EXISTS skips what was flagged); a partial batch covered everything up to the cutoff.
    reached = rows[-1].last_activity_at if len(rows) == size else cutoff
    if mark.last_finished_at is None or reached > mark.last_finished_at:
        mark.last_finished_at = reached
    report.stalled += len(rows)
    return len(rows)
