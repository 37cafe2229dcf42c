"""Risk assessments (DASH-style yes/no questionnaire), versioned so old ones keep their meaning."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .vocab import RiskLevel, enum_column


class RiskAssessment(db.Model):
    __tablename__ = "risk_assessments"
    __table_args__ = (Index("ix_risk_assessments_case_at", "case_id", "assessed_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    #: Which questionnaire (questions and thresholds) the answers refer to.
    questionnaire_version: Mapped[str] = mapped_column(String(16))
    #: The answers (question id -> yes/no), encrypted: they describe what happened to her.
    answers_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    score: Mapped[int] = mapped_column(Integer)
    #: Level the score gives.
    computed_level: Mapped[RiskLevel] = mapped_column(enum_column(RiskLevel, "computed_risk_level"))
    #: Level retained: professional judgement may raise it above the computed one, never lower.
    level: Mapped[RiskLevel] = mapped_column(enum_column(RiskLevel, "assessed_risk_level"))
    #: Why the level was raised, encrypted under the file key.
    judgement_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    assessed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assessed_by: Mapped["User"] = relationship()  # noqa: F821
