"""Hot cases (issue 18, part 5): files a governorate's coalition follows together.

A caseworker flags her own file, or a coordinator flags a referral she oversees, as a hot case
(high risk, repeated violence, a public-service failure). The coalition of the file's governorate
sees it without identity, adds follow-up decisions and reviews it at a set interval; the reminder
job tells the coordinators when a review is due. One open hot case per file. What people write
(why it is hot, each decision) is encrypted under the file's key, like notes: erasing the file
erases it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

HOT_CASE_REASONS = ("high_risk", "repeated_violence", "service_failure")
DECISION_KINDS = ("follow_up", "review", "close")


class HotCase(db.Model):
    __tablename__ = "hot_cases"
    __table_args__ = (
        # One open hot case per file: a second flag while one is open is refused by the database too.
        Index("uq_hot_cases_open_case", "case_id", unique=True,
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
        # A governorate's open list, by next review.
        Index("ix_hot_cases_open_region", "region_id", "next_review_at",
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
        # What the reminder job claims next.
        Index("ix_hot_cases_to_remind", "next_review_at",
              sqlite_where=text("closed_at IS NULL AND reminded_at IS NULL"),
              postgresql_where=text("closed_at IS NULL AND reminded_at IS NULL")),
        CheckConstraint("reason IN ('high_risk', 'repeated_violence', 'service_failure')", name="reason_known"),
        CheckConstraint("review_every_days BETWEEN 1 AND 90", name="review_interval_range"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id", ondelete="CASCADE"))
    #: The referral it was flagged from, when a coordinator flagged one.
    referral_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("referrals.id", ondelete="SET NULL"))
    #: The governorate whose coalition follows it: the file's region (else its agency's) when flagged.
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    reason: Mapped[str] = mapped_column(String(24))
    #: Why, in the flagger's words: encrypted under the file's key.
    comment_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    flagged_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    review_every_days: Mapped[int] = mapped_column(Integer, default=14)
    next_review_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the coordinators were reminded of the review now due (once per due review).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    decisions: Mapped[list[HotCaseDecision]] = relationship(
        back_populates="hot_case", order_by="HotCaseDecision.decided_at", cascade="all, delete-orphan")

    @property
    def number(self) -> str:
        """What the coalition calls it: never the file's number, which would lead to her."""
        return f"HC-{self.id:05d}"


class HotCaseDecision(db.Model):
    __tablename__ = "hot_case_decisions"
    __table_args__ = (
        CheckConstraint("kind IN ('follow_up', 'review', 'close')", name="kind_known"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    hot_case_id: Mapped[int] = mapped_column(ForeignKey("hot_cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The decision, in the coalition's words: encrypted under the file's key.
    text_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: The review it set (for a review or a follow-up that moved it).
    next_review_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    hot_case: Mapped[HotCase] = relationship(back_populates="decisions")
