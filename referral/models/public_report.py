"""Reports from the public: no account, no address kept, contact and narrative encrypted under
the report's own data key (erasing the key shreds the report)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow, uuid7
from .vocab import IncidentPlace, ReporterRole, ReportOutcome, ReportStatus, ViolenceType, enum_column

#: Encrypted columns of a report.
REPORT_SECRET_COLUMNS = ("contact", "contact_instructions", "narrative")


class PublicReport(db.Model):
    __tablename__ = "public_reports"
    __table_args__ = (
        # The regional queue: open reports of a region, danger first, oldest first.
        Index("ix_public_reports_queue", "region_id", "status", "danger_now", "created_at"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    #: Human-readable number for staff and notifications (SIG-2026-000012); not the receipt code.
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    #: SHA-256 of the receipt code: enough to find the report, useless to read it.
    receipt_digest: Mapped[str] = mapped_column(String(64), unique=True)
    #: argon2id hash of the passphrase given with the receipt.
    passphrase_hash: Mapped[str] = mapped_column(String(200))
    status: Mapped[ReportStatus] = mapped_column(enum_column(ReportStatus, "report_status"),
                                                 default=ReportStatus.RECEIVED)
    outcome: Mapped[ReportOutcome | None] = mapped_column(enum_column(ReportOutcome, "report_outcome"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Language she wrote in, so messages to her can be written in it.
    language: Mapped[str] = mapped_column(String(8), default="ar")

    # What happened, in clear: routing and statistics only, nothing that names anyone.
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    violence_type: Mapped[ViolenceType] = mapped_column(enum_column(ViolenceType, "violence_type"))
    incident_place: Mapped[IncidentPlace | None] = mapped_column(enum_column(IncidentPlace, "incident_place"))
    incident_date: Mapped[date | None] = mapped_column(Date)
    ongoing: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Someone is in danger now: first in the queue, and on-call staff are told at once.
    danger_now: Mapped[bool] = mapped_column(Boolean, default=False)
    reporter_role: Mapped[ReporterRole] = mapped_column(enum_column(ReporterRole, "reporter_role"))
    #: She agrees that what she wrote is passed to the police or prosecution.
    share_with_authority: Mapped[bool] = mapped_column(Boolean, default=False)
    #: She agrees that an authority contacts her (only with contact details).
    authority_may_contact: Mapped[bool] = mapped_column(Boolean, default=False)

    # AES-256-GCM under the report's data key, bound to table/column/row.
    contact_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    contact_instructions_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    narrative_ct: Mapped[bytes | None] = mapped_column(LargeBinary)

    claimed_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The file opened from it (survivor file, anonymous case or the case behind an alert).
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"))
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referrals.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    region: Mapped["Region"] = relationship()  # noqa: F821
    claimed_by: Mapped["User | None"] = relationship()  # noqa: F821
    claimed_agency: Mapped["Agency | None"] = relationship()  # noqa: F821


class PublicReportKey(db.Model):
    """A report's data key, wrapped by a master key. Deleting it shreds the report."""

    __tablename__ = "public_report_keys"
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("public_reports.id", ondelete="CASCADE"),
                                                 primary_key=True)
    master_key_id: Mapped[str] = mapped_column(String(64))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)


class PublicReportMessage(db.Model):
    """Information she added later, or a message the caseworker chose to send her."""

    __tablename__ = "public_report_messages"
    __table_args__ = (Index("ix_public_report_messages_report", "report_id", "created_at"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("public_reports.id", ondelete="CASCADE"))
    #: "reporter" (added by her) or "staff" (sent to her).
    direction: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body_ct: Mapped[bytes] = mapped_column(LargeBinary)
