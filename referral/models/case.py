"""Survivor files: identity encrypted under a per-file data key, statistics in clear."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import JSONType, UTCDateTime, utcnow, uuid7
from .vocab import (
    AgeBand,
    CaseStatus,
    ClosureReason,
    IncidentPlace,
    IntakeChannel,
    PerpetratorRelationship,
    RiskLevel,
    StatisticsConsent,
    ViolenceType,
    enum_column,
)

#: Encrypted columns of a file, by the consent group that may share them.
IDENTITY_COLUMNS = {
    "full_name": "name",
    "phone": "contact",
    "address": "contact",
    "contact_instructions": "contact",
    "national_id": "national_id",
    "date_of_birth": "date_of_birth",
    "narrative": "narrative",
}


class Case(db.Model):
    __tablename__ = "cases"
    __table_args__ = (
        # The caseworker's file list: her agency's open files, most recently active first.
        Index("ix_cases_owner_status_activity", "owner_agency_id", "status", "last_activity_at"),
        # Observatory statistics by region and period.
        Index("ix_cases_region_opened", "region_id", "opened_at"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    #: Human-readable number (CAS-2026-000123); carries no survivor data.
    case_number: Mapped[str] = mapped_column(String(32), unique=True)
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    caseworker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus, "case_status"), default=CaseStatus.OPEN)
    channel: Mapped[IntakeChannel] = mapped_column(
        enum_column(IntakeChannel, "intake_channel"), default=IntakeChannel.WALK_IN
    )
    #: Optimistic concurrency: bumped on every change.
    version: Mapped[int] = mapped_column(Integer, default=1)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closure_reason: Mapped[ClosureReason | None] = mapped_column(enum_column(ClosureReason, "closure_reason"))
    #: The kinds of service she received, recorded at closure for the observatory (category values).
    services_received: Mapped[list | None] = mapped_column(JSONType)
    #: Last time anyone acted on the file or its referrals: drives "stalled file" detection.
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Non-identifying fields, in clear, for statistics (observatory form).
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    age_band: Mapped[AgeBand | None] = mapped_column(enum_column(AgeBand, "age_band"))
    disability: Mapped[bool | None] = mapped_column(Boolean)
    violence_type: Mapped[ViolenceType | None] = mapped_column(enum_column(ViolenceType, "violence_type"))
    #: Extra national-law categories: ["economic", "digital"].
    violence_flags: Mapped[list] = mapped_column(JSONType, default=list)
    perpetrator_relationship: Mapped[PerpetratorRelationship | None] = mapped_column(
        enum_column(PerpetratorRelationship, "perpetrator_relationship")
    )
    incident_date: Mapped[date | None] = mapped_column(Date)
    incident_place: Mapped[IncidentPlace | None] = mapped_column(enum_column(IncidentPlace, "incident_place"))
    risk_level: Mapped[RiskLevel | None] = mapped_column(enum_column(RiskLevel, "risk_level"))
    #: Consent for reporting (GBVIMS): only "yes" counts her file in the observatory; NULL: not asked.
    statistics_consent: Mapped[StatisticsConsent | None] = mapped_column(
        enum_column(StatisticsConsent, "statistics_consent")
    )

    # Identity and narrative: AES-256-GCM under the file's data key, bound to table/column/row.
    full_name_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    address_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: How to reach her safely ("only after 6 pm, never leave a message").
    contact_instructions_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    national_id_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    date_of_birth_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    narrative_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: Set when the data key was destroyed: the identity is gone for good, the statistics stay.
    shredded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner_agency: Mapped["Agency"] = relationship()  # noqa: F821
    caseworker: Mapped["User | None"] = relationship()  # noqa: F821
    region: Mapped["Region | None"] = relationship()  # noqa: F821


class CaseKey(db.Model):
    """A file's data key, wrapped by a master key. Deleting the wrapped key shreds the file."""

    __tablename__ = "case_keys"
    __table_args__ = (Index("ix_case_keys_master_key_id", "master_key_id"),)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    master_key_id: Mapped[str] = mapped_column(String(64))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseBlindIndex(db.Model):
    """Truncated keyed hashes of normalised identity values, to find files without decrypting."""

    __tablename__ = "case_blind_indexes"
    __table_args__ = (Index("ix_case_blind_indexes_lookup", "column", "value"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    #: "phone", "national_id" or "full_name".
    column: Mapped[str] = mapped_column(String(32))
    value: Mapped[int] = mapped_column(BigInteger)


class CaseEvent(db.Model):
    """The file's own timeline entries (opened, closed, reopened, consent, assessment...)."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_at", "case_id", "occurred_at"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    #: Structured, non-identifying details (reason codes, referral id...).
    details: Mapped[dict] = mapped_column(JSONType, default=dict)
    #: Free-text comment, encrypted under the file's data key.
    comment_ct: Mapped[bytes | None] = mapped_column(LargeBinary)

    actor: Mapped["User | None"] = relationship()  # noqa: F821
