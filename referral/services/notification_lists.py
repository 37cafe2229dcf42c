"""The notification centre's lists: by kind, unread first if asked, and the files without activity
collapsed into one line per day (a sweep can flag dozens at once)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update

from ..extensions import db
from ..models import Notification, User
from ..models.base import utcnow
from .paging import Page, page_of

STALLED = "case.stalled"
#: The filter's groups: name -> the notification kinds it shows.
GROUPS: dict[str, tuple[str, ...]] = {
    "referrals": ("referral.send", "referral.acknowledge", "referral.accept", "referral.decline", "referral.start",
                  "referral.complete", "referral.return", "referral.withdraw", "referral.info_request",
                  "referral.info_provided", "referral.reassign", "referral.reminder"),
    "messages": ("referral.message",),
    "tasks": ("task.due", "supervision.requested", "supervision.decided", "erasure.requested", "hot_case.flagged",
              "hot_case.review_due"),
    "overdue": ("referral.breach", "referral.escalation", "referral.breach_digest", "referral.escalation_digest"),
    "stalled": (STALLED,),
    "emergency": ("break_glass.read", "break_glass.over_limit", "break_glass.approved", "break_glass.rules_changed"),
    "duplicates": ("case.possible_duplicate", "case.duplicate_burst"),
    "accounts": ("account.approval_needed", "account.change_requested", "account.change_approved",
                 "account.change_refused"),
}
PAGE_SIZE = 30
#: At most this many files named on one day's line of the digest; the rest are counted.
DIGEST_NAMES = 8


@dataclass(frozen=True)
class DigestDay:
    day: date
    count: int
    unread: int
    #: (notification id, file reference) of the first files of the day.
    files: list[tuple[int, str]]


def notifications_page(user: User, *, group: str | None, unread_only: bool, page: int,
                       every_kind: bool = False, size: int = PAGE_SIZE) -> Page:
    """One page of her notifications, newest first. Without a group, every kind but the files without
    activity (they have their digest; with `every_kind`, those too); `group` must be a key of GROUPS."""
    query = select(Notification).where(Notification.user_id == user.id)
    if every_kind:
        pass
    elif group is None:
        query = query.where(Notification.kind != STALLED)
    else:
        query = query.where(Notification.kind.in_(GROUPS[group]))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return page_of(query.order_by(Notification.created_at.desc(), Notification.id.desc()), page, size)


def mark_read(user: User, notification_id: int) -> Notification | None:
    """Her notification, marked read (None when it is not hers: nobody learns another's exists)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        return None
    if notification.read_at is None:
        notification.read_at = utcnow()
    return notification


def mark_all_read(user: User) -> None:
    db.session.execute(update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
                       .values(read_at=utcnow()))


def stalled_digest(user: User, *, days: int = 14, unread_only: bool = False) -> list[DigestDay]:
    """The files without activity she was told of, one line per day (in UTC), newest day first."""
    query = select(Notification.id, Notification.created_at, Notification.read_at, Notification.params).where(
        Notification.user_id == user.id, Notification.kind == STALLED)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    rows = db.session.execute(query.order_by(Notification.created_at.desc(), Notification.id.desc())
                              .limit(days * 200)).all()
    by_day: OrderedDict[date, list] = OrderedDict()
    for row in rows:
        by_day.setdefault(row.created_at.date(), []).append(row)
    return [DigestDay(day, len(items), sum(1 for r in items if r.read_at is None),
                      [(r.id, (r.params or {}).get("reference", "")) for r in items[:DIGEST_NAMES]])
            for day, items in list(by_day.items())[:days]]
