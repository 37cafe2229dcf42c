"""Account changes waiting for a second person: the two-person rule on access to identity."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import JSONType, UTCDateTime, utcnow
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


#: Steps of casework an association may put under its supervisor's approval.
CASEWORK_STEPS = ("case_close", "case_plan", "shred_request")
_CASEWORK_PENDING = text("status = 'pending'")


class CaseworkStep(db.Model):
    """A step of casework that needs the approval of a supervisor (a lead) of the association."""

    __tablename__ = "casework_steps"
    __table_args__ = (CheckConstraint("step IN ('case_close', 'case_plan', 'shred_request')", name="step_known"),)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True)
    step: Mapped[str] = mapped_column(String(16), primary_key=True)


class CaseworkApproval(db.Model):
    """A caseworker's request that her supervisor approve a step on a file (closing it, her plan).

    The file stays usable while it waits. What the request says (the closure's comment) and what
    the supervisor answers are sealed under the file's key; the payload holds only codes."""

    __tablename__ = "casework_approvals"
    __table_args__ = (
        # One open request per file and step: a second click cannot queue a second one.
        Index("uq_casework_approvals_pending", "case_id", "step", unique=True,
              sqlite_where=_CASEWORK_PENDING, postgresql_where=_CASEWORK_PENDING),
        Index("ix_casework_approvals_agency_pending", "agency_id",
              sqlite_where=_CASEWORK_PENDING, postgresql_where=_CASEWORK_PENDING),
        CheckConstraint("step IN ('case_close', 'case_plan', 'shred_request')", name="step_known"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    step: Mapped[str] = mapped_column(String(16))
    #: Codes only: the closure's outcome and services, or the plan's goal versions.
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)
    request_comment_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[ApprovalStatus] = mapped_column(enum_column(ApprovalStatus, "approval_status"),
                                                   default=ApprovalStatus.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_comment_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: An approved erasure request, when the administrator carried it out.
    carried_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped["Case"] = relationship()  # noqa: F821
    requested_by: Mapped["User | None"] = relationship(foreign_keys=[requested_by_id])  # noqa: F821
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])  # noqa: F821
