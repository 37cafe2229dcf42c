"""SLA policies, breaches and escalations, and the lock that keeps one sweep at a time."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .vocab import ServiceCategory, SlaClock, TimerKind, Urgency, enum_column


class SlaPolicy(db.Model):
    """Time limits for one urgency, for one service category or (category NULL) all of them."""

    __tablename__ = "sla_policies"
    __table_args__ = (UniqueConstraint("urgency", "service_category", name="uq_sla_policies_scope"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    urgency: Mapped[Urgency] = mapped_column(enum_column(Urgency, "policy_urgency"))
    service_category: Mapped[ServiceCategory | None] = mapped_column(
        enum_column(ServiceCategory, "policy_service_category")
    )
    clock: Mapped[SlaClock] = mapped_column(enum_column(SlaClock, "policy_clock"))
    #: Minutes of the clock (business minutes for a business clock).
    acknowledge_minutes: Mapped[int] = mapped_column(Integer)
    decide_minutes: Mapped[int] = mapped_column(Integer)
    first_action_minutes: Mapped[int] = mapped_column(Integer)
    complete_minutes: Mapped[int | None] = mapped_column(Integer)
    #: File inactivity after which it counts as stalled.
    stalled_after_minutes: Mapped[int] = mapped_column(Integer, default=14 * 24 * 60)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Breach(db.Model):
    """The recorded fact that a timer passed its due time; unique per timer, so recorded once."""

    __tablename__ = "breaches"
    __table_args__ = (
        # What the sweep escalates next, and nothing else: its reads stay proportional to what is due
        # (it replaces an index of every unresolved breach, escalated or not).
        Index("ix_breaches_awaiting_escalation", "breached_at",
              sqlite_where=text("resolved_at IS NULL AND escalated_at IS NULL"),
              postgresql_where=text("resolved_at IS NULL AND escalated_at IS NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    timer_id: Mapped[int] = mapped_column(ForeignKey("sla_timers.id", ondelete="CASCADE"), unique=True)
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    kind: Mapped[TimerKind] = mapped_column(enum_column(TimerKind, "breach_kind"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    escalations: Mapped[list[Escalation]] = relationship(back_populates="breach")


class Escalation(db.Model):
    """Who was told about a breach, and when."""

    __tablename__ = "escalations"
    id: Mapped[int] = mapped_column(primary_key=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("breaches.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(Integer, default=1)
    notified_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    breach: Mapped[Breach] = relationship(back_populates="escalations")


class JobLock(db.Model):
    """A row per background job; a sweep holds its row locked so one runs at a time."""

    __tablename__ = "job_locks"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    holder: Mapped[str | None] = mapped_column(String(200))
