"""Delivering the email outbox: each email claimed by one deliverer, retried with backoff.

Claiming is one UPDATE ... RETURNING that counts the attempt and hides the email for ``CLAIM``
(on PostgreSQL its subquery skips rows another deliverer has locked; SQLite has a single writer),
then commits, so SMTP never runs inside a database transaction and two schedulers never send the
same email. The claim is short and renewed (a heartbeat) while the batch is being sent, so the
emails of a killed scheduler wait two minutes, not a quarter of an hour. Each outcome is
committed as soon as it is known.

When that commit fails (the database went away or turned read-only after the SMTP server said
"OK"), the outcome is kept in this process's ledger and the batch goes on: the next run writes
the ledger before it claims anything, so a delivered email is never sent again because a later
write failed, and the rest of the batch does not wait for its claim to expire. Only a crash
between the SMTP "OK" and that write can send an email twice; its stable Message-ID (one per
outbox row) lets mail systems recognise the copy.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from ..extensions import db
from ..models import OutboxEmail
from ..models.base import utcnow
from ..services.mailer import MailError, MailSettings, build_message, message_id, smtp_connection
from .locks import is_postgresql

logger = logging.getLogger(__name__)

BATCH = 20
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=4)
#: How long a claimed email stays hidden from other deliverers unless its deliverer renews the claim.
CLAIM = timedelta(minutes=2)
#: The claim is renewed when this much of it has passed (several SMTP timeouts remain).
RENEW_AFTER = CLAIM / 4
#: A run stops sending after this long and gives the rest back; the next run goes on.
RUN_LIMIT = timedelta(minutes=7, seconds=30)


#: Outcomes this process knows but could not write yet: email id -> the values to write.
_LEDGER: dict[int, dict] = {}


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def retry_delay(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failure: 1, 2, 4, 8... minutes, at most four hours."""
    return min(FIRST_RETRY * 2 ** max(0, attempts - 1), MAX_RETRY)


def deliver_outbox(now: datetime | None = None, *, batch_size: int = BATCH,
                   settings: MailSettings | None = None) -> DeliveryReport:
    """Send every email due by ``now``; commits each claim and each outcome."""
    now = now or utcnow()
    settings = settings or MailSettings.from_config(current_app.config)
    deadline = time.monotonic() + RUN_LIMIT.total_seconds()
    report = DeliveryReport()
    _write_ledger()  # raises while the database still fails: then nothing is claimed or sent
    while time.monotonic() < deadline:
        rows = _claim(now, batch_size)
        db.session.commit()
        if not rows:
            break
        _send(rows, _Claim(now), settings, report, deadline)
        if len(rows) < batch_size:
            break
    return report


def _claim(now: datetime, size: int) -> list:
    due = (
        select(OutboxEmail.id)
        .where(OutboxEmail.sent_at.is_(None), OutboxEmail.failed_at.is_(None), OutboxEmail.next_attempt_at <= now)
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
        .limit(size)
    )
    if is_postgresql():
        due = due.with_for_update(skip_locked=True)
    return db.session.execute(
        update(OutboxEmail)
        # Re-checked on the row itself: a row another deliverer claimed meanwhile no longer matches.
        .where(OutboxEmail.id.in_(due.scalar_subquery()), OutboxEmail.sent_at.is_(None),
               OutboxEmail.failed_at.is_(None), OutboxEmail.next_attempt_at <= now)
        .values(attempts=OutboxEmail.attempts + 1, next_attempt_at=now + CLAIM)
        .returning(OutboxEmail.id, OutboxEmail.to_address, OutboxEmail.subject, OutboxEmail.body,
                   OutboxEmail.attempts)
        .execution_options(synchronize_session=False)
    ).all()


@dataclass
class _Claim:
    """The batch's claim: ``now`` is the run's instant, renewed on the wall clock's progress."""

    now: datetime
    started: datetime = field(default_factory=utcnow)
    renewed: datetime = field(default_factory=utcnow)

    def renew(self, rows: list) -> None:
        """The heartbeat: push the claim of the emails not yet tried (and the one being tried) on."""
        moment = utcnow()
        if moment - self.renewed < RENEW_AFTER:
            return
        db.session.execute(
            update(OutboxEmail).where(OutboxEmail.id.in_([r.id for r in rows]), OutboxEmail.sent_at.is_(None))
            .values(next_attempt_at=self.now + (moment - self.started) + CLAIM)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()  # a failure ends the run: an unrenewed claim must not be sent past its end
        self.renewed = moment


def _send(rows: list, claim: _Claim, settings: MailSettings, report: DeliveryReport, deadline: float) -> None:
    now = claim.now
    pending = sorted(rows, key=lambda r: r.id)
    while pending:
        try:
            with smtp_connection(settings) as connection:
                while pending:
                    if time.monotonic() >= deadline:
                        _give_back(pending, now)
                        return
                    claim.renew(pending)
                    row = pending.pop(0)
                    try:
                        connection.send(build_message(sender=settings.sender, to=row.to_address,
                                                      subject=row.subject, body=row.body,
                                                      message_id=message_id(f"outbox-{row.id}", settings.sender)))
                    except MailError as exc:
                        _failed(row, now, exc, report)
                        break  # the session may be broken: reconnect for the rest
                    _sent(row, now, report)
        except MailError as exc:
            # The server cannot be reached: every email of the batch waits for its next turn.
            for row in pending:
                _failed(row, now, exc, report)
            return


def _sent(row, now: datetime, report: DeliveryReport) -> None:
    _set(row.id, sent_at=now, last_error=None)
    report.sent += 1


def _failed(row, now: datetime, exc: MailError, report: DeliveryReport) -> None:
    error = str(exc)  # type and SMTP code only: never the message
    if row.attempts >= MAX_ATTEMPTS:
        _set(row.id, failed_at=now, last_error=error)
        report.failed += 1
        # The line to alert on; the administrator queues them again from "Email delivery".
        logger.warning("email.abandoned id=%s attempts=%s error=%s", row.id, row.attempts, error)
    else:
        _set(row.id, next_attempt_at=now + retry_delay(row.attempts), last_error=error)
        report.retrying += 1
        logger.info("email %s not delivered (attempt %s): %s", row.id, row.attempts, error)


def _give_back(rows: list, now: datetime) -> None:
    """Emails claimed but not tried before the run's deadline: not an attempt, due again now."""
    ids = [r.id for r in rows]
    db.session.execute(
        update(OutboxEmail).where(OutboxEmail.id.in_(ids))
        .values(attempts=OutboxEmail.attempts - 1, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _set(email_id: int, **values) -> None:
    """Record an outcome now, or, if the database refuses, in the ledger for the next run."""
    try:
        _update(email_id, values)
        db.session.commit()
    except DBAPIError:
        db.session.rollback()
        _LEDGER[email_id] = values
        logger.warning("email %s outcome kept for the next run: the database refused it", email_id)


def _update(email_id: int, values: dict) -> None:
    db.session.execute(
        # A recorded delivery is never overwritten (another run may have written it first).
        update(OutboxEmail).where(OutboxEmail.id == email_id, OutboxEmail.sent_at.is_(None)).values(**values)
        .execution_options(synchronize_session=False)
    )


def _write_ledger() -> None:
    if not _LEDGER:
        return
    for email_id, values in sorted(_LEDGER.items()):
        _update(email_id, values)
    db.session.commit()
    logger.info("%s email outcomes written after a database fault", len(_LEDGER))
    _LEDGER.clear()
