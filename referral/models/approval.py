"""Account changes waiting for a second person: the two-person rule on access to identity."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .vocab import AccountChange, ApprovalStatus, enum_column

_PENDING = text("status = 'pending'")


class AccountApproval(db.Model):
    """An administrator's request to change an account that reaches survivor files, applied only
    when a lead of that account's agency approves it."""

    __tablename__ = "account_approvals"
    __table_args__ = (
        # One open request per account and kind: a second click cannot queue a second approval.
        Index("uq_account_approvals_pending", "user_id", "kind", unique=True,
              sqlite_where=_PENDING, postgresql_where=_PENDING),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AccountChange] = mapped_column(enum_column(AccountChange, "account_change"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The agency whose lead decides: the account's own.
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[ApprovalStatus] = mapped_column(enum_column(ApprovalStatus, "approval_status"),
                                                   default=ApprovalStatus.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821
    requested_by: Mapped["User | None"] = relationship(foreign_keys=[requested_by_id])  # noqa: F821
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])  # noqa: F821
    agency: Mapped["Agency"] = relationship()  # noqa: F821
