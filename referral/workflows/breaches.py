"""Breaches: the fact that a timer passed; resolved when the timer is finally met or cancelled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from ..extensions import db
from ..models import Breach, Referral


def resolve_breaches(referral: Referral, at: datetime) -> None:
    stopped = [t.id for t in referral.timers if t.state in ("met", "cancelled") and t.breached_at is not None]
    if stopped:
        db.session.execute(
            update(Breach)
            .where(Breach.timer_id.in_(stopped), Breach.resolved_at.is_(None))
            .values(resolved_at=at)
            .execution_options(synchronize_session=False)
        )
