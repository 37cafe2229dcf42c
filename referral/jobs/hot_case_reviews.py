"""Hot cases due for review: remind the governorate's coordinators once per due review.

Safe to re-run, and in two processes: a hot case is claimed by the statement that marks it
reminded (the shape of the task reminders); a review recorded afterwards sets the next one and
clears the mark, so that review is reminded in its turn.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from ..audit.context import acting_as
from ..audit.log import record
from ..extensions import db
from ..models import HotCase
from ..models.base import utcnow
from ..services.hot_cases import notify_coalition
from .locks import SCHEDULER_ACTOR

#: At most this many due reviews per run; the next run takes the rest.
REMIND_BATCH = 500


def send_review_reminders(now: datetime | None = None) -> int:
    now = now or utcnow()
    with acting_as(SCHEDULER_ACTOR):
        claimed = db.session.execute(
            update(HotCase).where(HotCase.id.in_(
                select(HotCase.id).where(HotCase.closed_at.is_(None), HotCase.reminded_at.is_(None),
                                         HotCase.next_review_at <= now).limit(REMIND_BATCH).scalar_subquery()),
                HotCase.reminded_at.is_(None), HotCase.closed_at.is_(None))
            .values(reminded_at=now).returning(HotCase.id).execution_options(synchronize_session=False)
        ).scalars().all()
        for hot in db.session.execute(select(HotCase).where(HotCase.id.in_(claimed))).scalars():
            notify_coalition("hot_case.review_due", hot)
            record("hot_case.remind", object_type="hot_case", object_id=hot.id,
                   details={"next_review_at": hot.next_review_at.isoformat()})
        db.session.commit()
    return len(claimed)
