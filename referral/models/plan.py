"""The case plan: goals agreed with the survivor, each with its actions, who does them (her
association, or another agency through a referral), a target date and a status. What the goal and
its actions say is encrypted under the file's key, like the narrative (erasure removes it)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow, uuid7

GOAL_AREAS = ("safety", "health", "legal", "shelter", "economic", "psychosocial")
GOAL_OWNERS = ("association", "referral")
GOAL_STATES = ("open", "achieved", "dropped")


class CaseGoal(db.Model):
    __tablename__ = "case_goals"
    __table_args__ = (
        Index("ix_case_goals_case_status", "case_id", "status"),
        CheckConstraint("area IN ('safety', 'health', 'legal', 'shelter', 'economic', 'psychosocial')",
                        name="area_known"),
        CheckConstraint("by_whom IN ('association', 'referral')", name="by_whom_known"),
        CheckConstraint("status IN ('open', 'achieved', 'dropped')", name="status_known"),
        CheckConstraint("by_whom = 'association' OR referral_id IS NOT NULL", name="referral_named"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    area: Mapped[str] = mapped_column(String(16))
    #: The goal in the words agreed with her: encrypted.
    goal_ct: Mapped[bytes] = mapped_column(LargeBinary)
    #: The actions towards it, one per line: encrypted.
    actions_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    by_whom: Mapped[str] = mapped_column(String(12), default="association")
    #: The referral that serves this goal, when another agency does it.
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referrals.id", ondelete="SET NULL"))
    target_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open", server_default="open")
    #: Why it was dropped, or how it was achieved: encrypted.
    closing_note_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: Bumped by every change: an edit made on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    referral: Mapped["Referral | None"] = relationship()  # noqa: F821
