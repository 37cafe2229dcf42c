"""A one-time link with which a partner outside Masar (a lawyer, a small association, a clinic
without accounts) answers one referral: acknowledges, accepts or declines, and reports back."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import JSONType, UTCDateTime, utcnow

_LIVE = text("revoked_at IS NULL")


class PartnerLink(db.Model):
    __tablename__ = "partner_links"
    __table_args__ = (
        # One live link per referral: printing a new letter revokes the former link.
        Index("uq_partner_links_live", "referral_id", unique=True, sqlite_where=_LIVE, postgresql_where=_LIVE),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the secret in the link (the secret itself is printed once, on the letter).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The actions taken through it, each at most once.
    used_actions: Mapped[list] = mapped_column(JSONType, default=list)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Bumped by each action: two presses released together cannot both claim the same state.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    referral: Mapped["Referral"] = relationship()  # noqa: F821
