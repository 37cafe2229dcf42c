"""Shelter places and stays under the Himaya protocol of essential services.

A shelter service declares its places; admissions take them and exits give them back, under a lock
on the capacity row, so the counts are the live truth the refer form and the directory show. A
stay is the shelter's record of one woman's time there: the essential services due and given, the
extensions of its maximum length (each approved by a second person), and the exit.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .vocab import ApprovalStatus, ExitDestination, ExitOutcome, StayStatus, enum_column

DEFAULT_MAX_STAY_DAYS = 90


class ShelterCapacity(db.Model):
    """The places of one service with limited places (a shelter), and how many are taken now."""

    __tablename__ = "shelter_capacities"
    __table_args__ = (
        CheckConstraint("beds_used >= 0 AND beds_used <= beds", name="beds"),
        CheckConstraint("child_places_used >= 0 AND child_places_used <= child_places", name="child_places"),
        CheckConstraint("accessible_used >= 0 AND accessible_used <= accessible_rooms",
                        name="accessible"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), unique=True)
    #: Beds for women (one per admitted woman).
    beds: Mapped[int] = mapped_column(Integer, default=0)
    #: Places for children admitted with their mother.
    child_places: Mapped[int] = mapped_column(Integer, default=0)
    #: Rooms fitted for a woman with a disability (each also counts among the beds).
    accessible_rooms: Mapped[int] = mapped_column(Integer, default=0)
    beds_used: Mapped[int] = mapped_column(Integer, default=0)
    child_places_used: Mapped[int] = mapped_column(Integer, default=0)
    accessible_used: Mapped[int] = mapped_column(Integer, default=0)
    #: Days a stay lasts before it needs an approved extension.
    max_stay_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_MAX_STAY_DAYS)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    service: Mapped["Service"] = relationship()  # noqa: F821

    @property
    def beds_free(self) -> int:
        return self.beds - self.beds_used

    @property
    def child_places_free(self) -> int:
        return self.child_places - self.child_places_used

    @property
    def accessible_free(self) -> int:
        return self.accessible_rooms - self.accessible_used


class EssentialService(db.Model):
    """One essential service of the Himaya protocol, configured as data (seeded by the migration)."""

    __tablename__ = "essential_services"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_ar: Mapped[str] = mapped_column(String(200))
    name_fr: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    #: Days after admission by which it must have been given at least once; None: no deadline.
    due_within_days: Mapped[int | None] = mapped_column(Integer)
    #: Due only when children were admitted with her (their schooling).
    for_children: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def name(self, locale: str) -> str:
        return getattr(self, f"name_{locale}", None) or self.name_en


class Stay(db.Model):
    __tablename__ = "stays"
    __table_args__ = (
        # Occupancy and average stay per shelter.
        Index("ix_stays_service_status", "service_id", "status"),
        CheckConstraint("children >= 0", name="children"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The accepted referral she was admitted from: one stay per referral.
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), unique=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    status: Mapped[StayStatus] = mapped_column(enum_column(StayStatus, "stay_status"), default=StayStatus.IN_SHELTER)
    admitted_on: Mapped[date] = mapped_column(Date)
    #: Children admitted with her (each takes a child place).
    children: Mapped[int] = mapped_column(SmallInteger, default=0)
    accessible_room: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Last day of the stay as allowed now: the maximum stay, moved by approved extensions.
    ends_on: Mapped[date] = mapped_column(Date)
    admitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    exited_on: Mapped[date | None] = mapped_column(Date)
    exit_destination: Mapped[ExitDestination | None] = mapped_column(enum_column(ExitDestination, "exit_destination"))
    exit_outcome: Mapped[ExitOutcome | None] = mapped_column(enum_column(ExitOutcome, "exit_outcome"))
    exited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    referral: Mapped["Referral"] = relationship()  # noqa: F821
    service: Mapped["Service"] = relationship()  # noqa: F821
    given: Mapped[list["StayService"]] = relationship(order_by="StayService.given_on", back_populates="stay")
    dues: Mapped[list["StayServiceDue"]] = relationship(order_by="StayServiceDue.due_on")
    extensions: Mapped[list["StayExtension"]] = relationship(order_by="StayExtension.id")


class StayService(db.Model):
    """An essential service given during the stay: which, on which day, by whom."""

    __tablename__ = "stay_services"
    id: Mapped[int] = mapped_column(primary_key=True)
    stay_id: Mapped[int] = mapped_column(ForeignKey("stays.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(ForeignKey("essential_services.code"))
    given_on: Mapped[date] = mapped_column(Date)
    given_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    stay: Mapped[Stay] = relationship(back_populates="given")
    essential: Mapped[EssentialService] = relationship()
    given_by: Mapped["User | None"] = relationship()  # noqa: F821


_OVERDUE_OPEN = text("done_on IS NULL AND alerted_at IS NULL")


class StayServiceDue(db.Model):
    """An essential service the protocol requires by a day; the sweep alerts once when it passes."""

    __tablename__ = "stay_service_dues"
    __table_args__ = (
        # The sweep's range scan: undone, unalerted dues, soonest first.
        Index("ix_stay_service_dues_open", "due_on", sqlite_where=_OVERDUE_OPEN, postgresql_where=_OVERDUE_OPEN),
    )
    stay_id: Mapped[int] = mapped_column(ForeignKey("stays.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(ForeignKey("essential_services.code"), primary_key=True)
    due_on: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)
    #: Set by the sweep that raised the alert: a second sweep finds nothing to do.
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    essential: Mapped[EssentialService] = relationship()


class StayExtension(db.Model):
    """A request to lengthen a stay, applied only when a second person of the shelter approves it."""

    __tablename__ = "stay_extensions"
    __table_args__ = (
        # One open request per stay.
        Index("uq_stay_extensions_pending", "stay_id", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
        CheckConstraint("days > 0", name="days"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    stay_id: Mapped[int] = mapped_column(ForeignKey("stays.id", ondelete="CASCADE"), index=True)
    days: Mapped[int] = mapped_column(Integer)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[ApprovalStatus] = mapped_column(enum_column(ApprovalStatus, "stay_extension_status"),
                                                   default=ApprovalStatus.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    requested_by: Mapped["User | None"] = relationship(foreign_keys=[requested_by_id])  # noqa: F821
