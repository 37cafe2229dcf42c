"""What happens after a possible duplicate is found, so the check is not an oracle.

The caseworker who opens a file learns only that a possible duplicate exists, never which
association holds it; the owning association is told which agency may be serving the same woman
and decides whether to make contact. Past ANSWERS_PER_DAY positive answers a day the caseworker is
told nothing more (the owners still are), and BURST hits in an hour alert the auditors: typing
phone numbers into intake forms to learn who supports whom is then both useless and visible.
Volumes per user are the `case.duplicate_detected` events of the access log.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from ..audit.log import record
from ..extensions import db
from ..models import Agency, AuditEvent, Case, User
from ..models.base import utcnow
from ..models.vocab import Role
from ..notifications import agency_staff, auditors, notify

ANSWERS_PER_DAY = 5
BURST = 3


def after_open(user: User, case: Case, hints: list) -> bool:
    """Tell the owners, count, alert; True when the caseworker may be told a possible duplicate exists."""
    if not hints:
        return False
    told = _hits(user, timedelta(days=1)) < ANSWERS_PER_DAY
    record("case.duplicate_detected", object_type="case", object_id=case.id, case_id=case.id,
           details={"agencies": sorted(h.agency_id for h in hints), "told": told})
    mine = db.session.get(Agency, case.owner_agency_id)
    for hint in hints:
        theirs = db.session.get(Case, hint.case_id)
        notify(agency_staff(hint.agency_id, [Role.CASEWORKER]), "case.possible_duplicate", case=theirs,
               params={"agency": mine.code})
    if _hits(user, timedelta(hours=1)) == BURST:  # the event above is counted: alert once per burst
        notify(auditors(), "case.duplicate_burst", case=case, params={"user": user.username, "count": BURST})
    return told


def _hits(user: User, within: timedelta) -> int:
    return db.session.execute(
        select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "case.duplicate_detected", AuditEvent.actor_user_id == user.id,
            AuditEvent.occurred_at >= utcnow() - within)
    ).scalar_one()
