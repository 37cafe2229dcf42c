"""Probes for load balancers and supervisors: liveness (the process answers) and readiness (the
database accepts a write now). Neither says anything about the data."""

from flask import Blueprint
from sqlalchemy.exc import DBAPIError

from ..extensions import limiter
from ..faults import database_fault, unavailable_response
from ..services.readiness import prove_a_write

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
    # The one request that commits before its answer: the commit is what it checks.
    try:
        prove_a_write()
    except DBAPIError as exc:
        reason = database_fault(exc)
        if reason is None:
            raise
        return unavailable_response(reason)
    return {"status": "ready"}
