"""Regions, agencies (associations, public services, the network) and their business calendars."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import JSONType, UTCDateTime, utcnow
from .vocab import AgencyKind, enum_column

# Monday..Friday 08:30-16:30, the usual administrative week; agencies set their own.
DEFAULT_OPENING_HOURS = {str(day): [["08:30", "16:30"]] for day in range(5)}


class Region(db.Model):
    """A governorate, province or region: the unit of coordination and statistics."""

    __tablename__ = "regions"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_ar: Mapped[str] = mapped_column(String(200))
    name_fr: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    #: ISO 3166 country code, for phone numbers and holidays.
    country: Mapped[str] = mapped_column(String(2), default="MA")

    def name(self, locale: str) -> str:
        return getattr(self, f"name_{locale}", None) or self.name_en


class Agency(db.Model):
    __tablename__ = "agencies"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[AgencyKind] = mapped_column(enum_column(AgencyKind, "agency_kind"))
    #: Free sector label for the directory (e.g. "health", "justice"); services carry the categories.
    sector: Mapped[str] = mapped_column(String(64))
    name_ar: Mapped[str] = mapped_column(String(300))
    name_fr: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(500))
    #: IANA time zone in which the agency's business hours are read.
    timezone: Mapped[str] = mapped_column(String(64), default="Africa/Casablanca")
    #: Emergency services answer around the clock: their SLA clock is wall time.
    open_24_7: Mapped[bool] = mapped_column(Boolean, default=False)
    #: {"0": [["08:30", "16:30"]], ...}: weekday (Monday = 0) to opening intervals; absent day = closed.
    opening_hours: Mapped[dict] = mapped_column(JSONType, default=lambda: dict(DEFAULT_OPENING_HOURS))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Accessibility of its premises, for a woman in a wheelchair or who is deaf.
    step_free_access: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    accessible_toilet: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    sign_language: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: A partner outside Masar (no accounts): its referrals go by printed letter and a one-time link.
    external_partner: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    region: Mapped[Region | None] = relationship()
    services: Mapped[list["Service"]] = relationship(back_populates="agency", order_by="Service.id")  # noqa: F821

    def name(self, locale: str) -> str:
        return getattr(self, f"name_{locale}", None) or self.name_en


class Holiday(db.Model):
    """A day an agency is closed: national (no region, no agency), regional, or one agency's."""

    __tablename__ = "holidays"
    __table_args__ = (
        UniqueConstraint("day", "region_id", "agency_id", name="uq_holidays_day_scope"),
        Index("ix_holidays_day", "day"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))


class Counter(db.Model):
    """Per-year counters behind human-readable numbers (CAS-2026-000123), safe across processes."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)

