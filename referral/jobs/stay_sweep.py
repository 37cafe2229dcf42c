"""Overdue essential services of shelter stays: alert the shelter's staff once per service due.

The same shape as the SLA sweep (jobs/sweep.py): each batch claims its rows with one conditional
UPDATE ... RETURNING (alerted_at set in the statement that selects them) under the job's lease, so
a second run or a second process finds nothing left and nothing is told twice. A due row is
overdue the day after its due day; exits mark what was still due as settled (services/stays.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select, tuple_, update

from ..audit.context import acting_as
from ..audit.log import record
from ..extensions import db
from ..models import Referral, Stay, StayServiceDue
from ..models.base import utcnow
from ..models.vocab import Role
from ..notifications import notify, staff_of_agencies
from .locks import SCHEDULER_ACTOR, JobLease
from .sweep import BATCH

JOB = "stay_service_sweep"


@dataclass
class StaySweepReport:
    overdue: int = 0
    batches: int = 0
    skipped: bool = False


def run_stay_sweep(now: datetime | None = None, *, batch_size: int | None = None) -> StaySweepReport:
    now = now or utcnow()
    batch_size = batch_size or int(current_app.config.get("SLA_SWEEP_BATCH", BATCH))
    report = StaySweepReport()
    lease = JobLease(JOB)
    with acting_as(SCHEDULER_ACTOR):
        try:
            while True:
                if not lease.hold():
                    db.session.rollback()
                    report.skipped = True
                    return report
                claimed = _overdue_batch(now, batch_size, report)
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


def _overdue_batch(now: datetime, size: int, report: StaySweepReport) -> int:
    # Range scan of ix_stay_service_dues_open (its WHERE terms repeated as written).
    due = (select(StayServiceDue.stay_id, StayServiceDue.code)
           .where(StayServiceDue.done_on.is_(None), StayServiceDue.alerted_at.is_(None),
                  StayServiceDue.due_on < now.date())
           .order_by(StayServiceDue.due_on).limit(size))
    claimed = db.session.execute(
        update(StayServiceDue)
        .where(tuple_(StayServiceDue.stay_id, StayServiceDue.code).in_(due),
               StayServiceDue.done_on.is_(None), StayServiceDue.alerted_at.is_(None))
        .values(alerted_at=now)
        .returning(StayServiceDue.stay_id, StayServiceDue.code, StayServiceDue.due_on)
        .execution_options(synchronize_session=False)
    ).all()
    if not claimed:
        return 0
    stays = {s.id: s for s in db.session.execute(
        select(Stay).where(Stay.id.in_({row.stay_id for row in claimed}))).scalars()}
    referrals = {r.id: r for r in db.session.execute(
        select(Referral).where(Referral.id.in_({s.referral_id for s in stays.values()}))).scalars()}
    staff = staff_of_agencies({s.agency_id for s in stays.values()}, (Role.OFFICER, Role.CASEWORKER))
    codes = defaultdict(list)
    for row in claimed:
        stay = stays[row.stay_id]
        record("stay.service_overdue", object_type="stay", object_id=stay.id, case_id=stay.case_id,
               details={"service": row.code, "due_on": row.due_on.isoformat()})
        codes[stay.id].append(row.code)
    for stay_id, overdue in codes.items():
        stay = stays[stay_id]
        notify(staff.get(stay.agency_id, []), "stay.service_overdue", referral=referrals[stay.referral_id],
               params={"services": sorted(overdue)})
    report.overdue += len(claimed)
    return len(claimed)
