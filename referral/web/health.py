"""A liveness probe for load balancers: says nothing but that the app and database answer."""

from flask import Blueprint
from sqlalchemy import text

from ..extensions import db, limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
