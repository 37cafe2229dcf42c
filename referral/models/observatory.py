"""The national observatory's unified form, as data: versioned sets of non-identifying indicators.

A version is never edited once written: adding or renaming an indicator writes a new version, so a
report computed against an older one keeps that version's meaning (its labels and groupings).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import JSONType, UTCDateTime, utcnow


class IndicatorSet(db.Model):
    __tablename__ = "observatory_indicator_sets"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: 1, 2, 3...: the newest is the one reports use unless another is asked for.
    version: Mapped[int] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: What changed from the version before (a short note by whoever made it).
    note: Mapped[str | None] = mapped_column(String(300))

    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="indicator_set", order_by="Indicator.position", cascade="all, delete-orphan"
    )


class Indicator(db.Model):
    __tablename__ = "observatory_indicators"
    __table_args__ = (UniqueConstraint("set_id", "key", name="uq_observatory_indicators_set_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("observatory_indicator_sets.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(64))
    #: The fact of the file it reads: one of `services.observatory.SOURCES` (a column or a flag).
    source: Mapped[str] = mapped_column(String(64))
    label_ar: Mapped[str] = mapped_column(String(200))
    label_fr: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200))
    #: The reported categories, in order: [{"code", "from": [source values], "ar", "fr", "en"}].
    values: Mapped[list] = mapped_column(JSONType, default=list)

    indicator_set: Mapped[IndicatorSet] = relationship(back_populates="indicators")

    def label(self, locale: str) -> str:
        return getattr(self, f"label_{locale}", None) or self.label_en
