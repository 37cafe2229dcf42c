"""Whether the database takes a write now: what the readiness probe asks."""

from __future__ import annotations

from sqlalchemy import delete, insert

from ..extensions import db
from ..models import ReadinessProbe
from ..models.base import utcnow


def prove_a_write() -> None:
    """Write a probe row, remove it and commit: a SELECT 1 passes on a read-only or full database,
    only a committed write proves it takes one. Raises what the database raises."""
    probe_id = db.session.execute(insert(ReadinessProbe).values(probed_at=utcnow())
                                  .returning(ReadinessProbe.id)).scalar_one()
    db.session.execute(delete(ReadinessProbe).where(ReadinessProbe.id == probe_id))
    db.session.commit()
