"""Probes for load balancers and supervisors: liveness (the process answers) and readiness (the
database accepts a write now). Neither says anything about the data."""

from flask import Blueprint
from sqlalchemy import delete, insert
from sqlalchemy.exc import DBAPIError

from ..extensions import db, limiter
from ..faults import database_fault, unavailable_response
from ..models import ReadinessProbe
from ..models.base import utcnow

bp = Blueprint("health", __name__)


@bp.get("/livez")
@limiter.exempt
def live():
    # Never reads the database: a database outage must not make the supervisor restart every worker.
    return {"status": "alive"}


@bp.get("/readyz")
@bp.get("/healthz")  # the older name, now with the same truth
@limiter.exempt
def ready():
    # A SELECT 1 passes on a read-only or full database; only a committed write proves it takes one.
    # This is the one view that commits itself: the commit is what it checks.
    try:
        probe_id = db.session.execute(insert(ReadinessProbe).values(probed_at=utcnow())
                                      .returning(ReadinessProbe.id)).scalar_one()
        db.session.execute(delete(ReadinessProbe).where(ReadinessProbe.id == probe_id))
        db.session.commit()
    except DBAPIError as exc:
        reason = database_fault(exc)
        if reason is None:
            raise
        return unavailable_response(reason)
    return {"status": "ready"}
