"""Human-readable numbers (CAS-2026-000123, REF-2026-000456), gap-free per year, across processes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from ..dbutil import insert_ignoring_conflict
from ..extensions import db
from ..models import Counter


def next_number(name: str, prefix: str, at: datetime) -> str:
    year = at.year
    for _attempt in range(2):
        result = db.session.execute(
            update(Counter)
            .where(Counter.name == name, Counter.year == year)
            .values(value=Counter.value + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            value = db.session.execute(
                select(Counter.value).where(Counter.name == name, Counter.year == year)
            ).scalar_one()
            return f"{prefix}-{year}-{value:06d}"
        # First number of the year: create the counter (another process may do it at the same time).
        db.session.execute(insert_ignoring_conflict(Counter.__table__, name=name, year=year, value=0))
    raise RuntimeError(f"could not allocate a {name} number")
