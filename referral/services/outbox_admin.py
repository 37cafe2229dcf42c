"""Abandoned emails: the ones the outbox gave up on after its last retry, shown to the
administrator and queued again in one action once the mail server is fixed."""

from __future__ import annotations

from sqlalchemy import func, select, update

from ..audit.log import record
from ..extensions import db
from ..models import OutboxEmail, User
from ..models.base import utcnow
from ..policy import Action, require

#: The page lists the most recent ones; the count covers them all.
SHOWN = 100


def abandoned_count() -> int:
    return db.session.execute(
        select(func.count()).select_from(OutboxEmail).where(OutboxEmail.failed_at.is_not(None),
                                                            OutboxEmail.sent_at.is_(None))
    ).scalar_one()


def abandoned_emails(user: User) -> list[OutboxEmail]:
    require(user, Action.USERS_MANAGE)
    return list(db.session.execute(
        select(OutboxEmail).where(OutboxEmail.failed_at.is_not(None), OutboxEmail.sent_at.is_(None))
        .order_by(OutboxEmail.failed_at.desc(), OutboxEmail.id.desc()).limit(SHOWN)
    ).scalars())


def requeue_abandoned(user: User) -> int:
    """Every abandoned email is due again now with a fresh set of attempts (and the same
    Message-ID: a copy that did arrive after all is recognised as one)."""
    require(user, Action.USERS_MANAGE)
    count = db.session.execute(
        update(OutboxEmail).where(OutboxEmail.failed_at.is_not(None), OutboxEmail.sent_at.is_(None))
        .values(failed_at=None, attempts=0, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    record("admin.email_requeue", object_type="email_outbox", details={"count": count})
    return count
