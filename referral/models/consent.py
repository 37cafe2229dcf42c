"""Informed consent: what the survivor agreed to share, with whom."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import JSONType, UTCDateTime, utcnow
from .vocab import ServiceCategory, enum_column


class Consent(db.Model):
    """Consent to share some field groups with one agency, or with every agency offering a category.

    Withdrawal keeps the row (who withdrew, when): a referral sent under it stays explainable.
    """

    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint(
            "(agency_id IS NOT NULL AND service_category IS NULL)"
            " OR (agency_id IS NULL AND service_category IS NOT NULL)",
            name="one_scope",
        ),
        Index("ix_consents_case_active", "case_id", "withdrawn_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    service_category: Mapped[ServiceCategory | None] = mapped_column(
        enum_column(ServiceCategory, "consent_service_category")
    )
    #: SharedField values the survivor agreed to share in this scope.
    fields: Mapped[list] = mapped_column(JSONType, default=list)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Optional free-text note on how consent was obtained, encrypted under the file key.
    note_ct: Mapped[bytes | None] = mapped_column(LargeBinary)

    agency: Mapped["Agency | None"] = relationship()  # noqa: F821
