"""Notes and attachments on a file, encrypted under the file's data key."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow, uuid7


class Note(db.Model):
    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_case_at", "case_id", "created_at"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    #: A note written by a receiving agency about its referral is visible to both sides.
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    body_ct: Mapped[bytes] = mapped_column(LargeBinary)

    author: Mapped["User"] = relationship()  # noqa: F821


class Attachment(db.Model):
    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_case_at", "case_id", "created_at"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_by_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: File name and media type are encrypted too: a name can say a lot.
    filename_ct: Mapped[bytes] = mapped_column(LargeBinary)
    content_type_ct: Mapped[bytes] = mapped_column(LargeBinary)
    size_bytes: Mapped[int] = mapped_column(Integer)
    content_ct: Mapped[bytes] = mapped_column(LargeBinary)
