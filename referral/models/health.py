"""What the readiness probe writes: proof that the database accepts a write right now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime


class ReadinessProbe(db.Model):
    """Inserted and deleted by each readiness check; the table stays empty. A read-only or full
    database refuses the insert, which a SELECT 1 would never notice."""

    __tablename__ = "readiness_probes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    probed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
