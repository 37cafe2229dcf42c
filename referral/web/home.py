"""The home page: what each role needs to see first when she logs in (`services.home`)."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from ..models.base import utcnow
from ..services.home import home_panels
from .nav import unread_count

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    now = utcnow()
    return render_template("home/index.html", panels=home_panels(g.user, now), now=now,
                           unread=unread_count(g.user))
