"""A file's timeline: the events of its life (closed, reopened, a goal added, an approval asked),
with an optional sealed comment."""

from __future__ import annotations

from datetime import datetime

from ..extensions import db
from ..models import Case, CaseEvent, User
from ..security.case_crypto import seal


def add_case_event(user: User, case: Case, kind: str, details: dict, comment: str | None, at: datetime) -> CaseEvent:
    event = CaseEvent(case_id=case.id, kind=kind, occurred_at=at, actor_user_id=user.id,
                      actor_agency_id=user.agency_id, details=details)
    db.session.add(event)
    db.session.flush([event])
    if comment:
        event.comment_ct = seal(case.id, "case_events", "comment", event.id, comment)
    return event
