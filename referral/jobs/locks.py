"""One run of a job at a time, however many processes start it: the database is the referee.

A job runs as a series of short transactions (batches). It calls ``JobLease.hold()`` as the first
statement of each one:

- PostgreSQL: ``pg_try_advisory_xact_lock(<constant>)``. The lock ends with the transaction; the
  next holder takes it after the commit is visible, so it never works from stale rows.
- SQLite: a lease in the job's ``job_locks`` row (holder, last_started_at). Writing that row is
  the transaction's first statement, which takes SQLite's single write lock at once (as BEGIN
  IMMEDIATE would): a second process waits for the batch to commit, then finds the lease taken and
  skips. A crashed holder's lease expires after ``LEASE``, a minute (one sweep interval): every
  batch renews it (a heartbeat), and during a batch the holder keeps SQLite's write lock, so a
  live holder's lease cannot be taken however long its batch runs.

Either way the row also records who ran the job last and when, for operators.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, or_, select, update

from ..audit.context import Actor
from ..dbutil import insert_ignoring_conflict
from ..extensions import db
from ..models import JobLock
from ..models.base import utcnow

#: Who the access log names for everything the jobs do.
SCHEDULER_ACTOR = Actor(username="scheduler", channel="scheduler")

#: A SQLite lease not renewed for this long belongs to a dead process and may be taken over.
LEASE = timedelta(minutes=1)

#: PostgreSQL advisory lock keys: fixed numbers, one per job ("MSR" + a job number).
ADVISORY_KEYS = {
    "sla_sweep": 0x4D5352_0001,
    "email_outbox": 0x4D5352_0002,
    "audit_sign": 0x4D5352_0003,
    "session_cleanup": 0x4D5352_0004,
    "stay_service_sweep": 0x4D5352_0005,
}


def _holder_id() -> str:
    return f"{socket.gethostname()[:120]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


@dataclass
class JobLease:
    """The right to run job ``name`` now; one object per run."""

    name: str
    holder: str = field(default_factory=_holder_id)
    held: bool = False

    def __post_init__(self) -> None:
        if self.name not in ADVISORY_KEYS:
            raise ValueError(f"unknown job {self.name!r}")

    def hold(self) -> bool:
        """Take (or renew) the job for the current transaction. False: another process runs it."""
        now = utcnow()
        if is_postgresql():
            if not db.session.execute(select(func.pg_try_advisory_xact_lock(ADVISORY_KEYS[self.name]))).scalar():
                return False
            condition = JobLock.name == self.name  # the advisory lock already decided
        else:
            condition = (JobLock.name == self.name) & or_(
                JobLock.holder.is_(None), JobLock.holder == self.holder, JobLock.last_started_at < now - LEASE
            )
        db.session.execute(insert_ignoring_conflict(JobLock.__table__, name=self.name))
        # Renewing on every batch keeps a long run's SQLite lease alive.
        taken = db.session.execute(
            update(JobLock).where(condition).values(holder=self.holder, last_started_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount == 1
        self.held = self.held or taken
        return taken

    def release(self) -> None:
        """End the run (commits). Safe to call when the lease was never taken."""
        db.session.rollback()
        if self.held:
            db.session.execute(
                update(JobLock)
                .where(JobLock.name == self.name, JobLock.holder == self.holder)
                .values(holder=None, last_finished_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
        self.held = False
