"""Follow-ups and appointments on a file: who does what, by when (the note encrypted like notes)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow, uuid7

TASK_KINDS = ("call_back", "accompany", "appointment", "review_risk", "other")
TASK_STATES = ("open", "done", "cancelled")


class CaseTask(db.Model):
    __tablename__ = "case_tasks"
    __table_args__ = (
        Index("ix_case_tasks_case_due", "case_id", "due_at"),
        # A caseworker's open tasks by due time (her "today" list), and what the reminder job sends next.
        Index("ix_case_tasks_open_assignee", "assignee_id", "due_at",
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        Index("ix_case_tasks_to_remind", "due_at",
              sqlite_where=text("status = 'open' AND reminded_at IS NULL"),
              postgresql_where=text("status = 'open' AND reminded_at IS NULL")),
        CheckConstraint("kind IN ('call_back', 'accompany', 'appointment', 'review_risk', 'other')",
                        name="kind_known"),
        CheckConstraint("status IN ('open', 'done', 'cancelled')", name="status_known"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    #: When it is due, in UTC (typed in the agency's time zone).
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assignee_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: What to do, in her words: encrypted under the file's key (erasure removes it).
    note_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: When the assignee was reminded (once).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    assignee: Mapped["User"] = relationship(foreign_keys=[assignee_id])  # noqa: F821
    case: Mapped["Case"] = relationship()  # noqa: F821
