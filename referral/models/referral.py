"""Referrals, their history, and the SLA timers each state starts or stops."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import JSONType, UTCDateTime, utcnow, uuid7
from .vocab import (
    DeclineReason,
    ReferralStatus,
    ServiceCategory,
    SlaClock,
    TimerKind,
    Urgency,
    enum_column,
)

#: Sort order of urgencies in inboxes: emergencies first.
URGENCY_PRIORITY = {Urgency.EMERGENCY: 0, Urgency.URGENT: 1, Urgency.STANDARD: 2}


class Referral(db.Model):
    __tablename__ = "referrals"
    __table_args__ = (
        # Inbox: an agency's open referrals, most urgent then soonest due first.
        Index("ix_referrals_inbox", "to_agency_id", "is_open", "priority", "next_due_at"),
        # Outbox: what an agency sent, most recently changed first.
        Index("ix_referrals_outbox", "from_agency_id", "is_open", "updated_at"),
        # Inbox, closed tab: most recently changed first.
        Index("ix_referrals_inbox_closed", "to_agency_id", "is_open", "updated_at"),
        # "Back with you": declined or returned referrals not yet sent elsewhere.
        Index("ix_referrals_bounced", "from_agency_id", "is_open", "updated_at",
              sqlite_where=text("status IN ('declined', 'returned') AND superseded_by_id IS NULL"),
              postgresql_where=text("status IN ('declined', 'returned') AND superseded_by_id IS NULL")),
        # Home pages: an agency's open and overdue referrals, counted from the index alone (without
        # it, a stock PostgreSQL walked every open referral of the network: issue 16).
        Index("ix_referrals_open_to_agency", "to_agency_id", "next_due_at", sqlite_where=text("is_open"),
              postgresql_where=text("is_open"), postgresql_include=["status"]),
        # Coordinators: the most overdue open referrals.
        Index("ix_referrals_open_next_due", "next_due_at", sqlite_where=text("is_open"),
              postgresql_where=text("is_open")),
        # Dashboards: response times per period.
        Index("ix_referrals_sent_at", "sent_at"),
        # Dashboards: what is open and overdue now among the referrals sent in a period (an
        # index-only scan on PostgreSQL: the open referrals are a few percent of all of them).
        Index("ix_referrals_open_sent", "sent_at", sqlite_where=text("is_open"), postgresql_where=text("is_open"),
              postgresql_include=["to_agency_id", "need", "urgency", "next_due_at"]),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    #: Human-readable number (REF-2026-000123), the only reference notifications carry.
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    to_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"), index=True)
    #: The need this step answers (a service category).
    need: Mapped[ServiceCategory] = mapped_column(enum_column(ServiceCategory, "referral_need"))
    urgency: Mapped[Urgency] = mapped_column(enum_column(Urgency, "urgency"))
    priority: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[ReferralStatus] = mapped_column(
        enum_column(ReferralStatus, "referral_status"), default=ReferralStatus.DRAFT
    )
    #: Denormalised from status (open states) so the inbox index is one range scan.
    is_open: Mapped[bool] = mapped_column(Boolean, default=False)
    #: State to return to when the requested information arrives.
    status_before_info_request: Mapped[ReferralStatus | None] = mapped_column(
        enum_column(ReferralStatus, "referral_resume_status")
    )
    #: SharedField groups the recipient may read (never beyond consent at send time).
    shared_fields: Mapped[list] = mapped_column(JSONType, default=list)
    #: Optimistic concurrency: every transition checks and bumps it.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_action_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: For post-rape care: when the assault happened, to run the clinical clocks.
    assault_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Earliest due time among running timers (denormalised for the inbox order).
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[DeclineReason | None] = mapped_column(enum_column(DeclineReason, "decline_reason"))
    #: Message to the recipient (why, what is needed), encrypted under the file key.
    message_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: Outcome recorded on completion, encrypted under the file key.
    outcome_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: When the referral was sent on again after a decline or return (closed loop).
    superseded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referrals.id"))

    case: Mapped["Case"] = relationship()  # noqa: F821
    from_agency: Mapped["Agency"] = relationship(foreign_keys=[from_agency_id])  # noqa: F821
    to_agency: Mapped["Agency"] = relationship(foreign_keys=[to_agency_id])  # noqa: F821
    service: Mapped["Service | None"] = relationship()  # noqa: F821
    timers: Mapped[list[SlaTimer]] = relationship(back_populates="referral", order_by="SlaTimer.id")


class ReferralEvent(db.Model):
    """One transition of a referral: the history the closed loop shows."""

    __tablename__ = "referral_events"
    __table_args__ = (Index("ix_referral_events_referral_at", "referral_id", "occurred_at"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[ReferralStatus | None] = mapped_column(enum_column(ReferralStatus, "event_from_status"))
    to_status: Mapped[ReferralStatus] = mapped_column(enum_column(ReferralStatus, "event_to_status"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason_code: Mapped[str | None] = mapped_column(String(40))
    #: Free-text comment (decline reason, information requested...), encrypted under the file key.
    comment_ct: Mapped[bytes | None] = mapped_column(LargeBinary)

    actor: Mapped["User | None"] = relationship()  # noqa: F821


class SlaTimer(db.Model):
    """A deadline a referral must meet; the sweep looks only at running timers already due."""

    __tablename__ = "sla_timers"
    __table_args__ = (
        UniqueConstraint("referral_id", "kind", name="uq_sla_timers_referral_kind"),
        Index(
            "ix_sla_timers_due",
            "due_at",
            sqlite_where=text("state = 'running' AND breached_at IS NULL"),
            postgresql_where=text("state = 'running' AND breached_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    kind: Mapped[TimerKind] = mapped_column(enum_column(TimerKind, "timer_kind"))
    clock: Mapped[SlaClock] = mapped_column(enum_column(SlaClock, "timer_clock"))
    #: running, paused (awaiting information), met, cancelled.
    state: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Budget in minutes of the clock (business or wall minutes).
    budget_minutes: Mapped[int] = mapped_column(Integer)
    #: Budget already consumed before the current run (pauses keep it).
    consumed_minutes: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    referral: Mapped[Referral] = relationship(back_populates="timers")
