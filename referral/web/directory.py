"""The service directory: who offers what, in which regions."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..models.vocab import ServiceCategory
from ..policy import Action
from ..services.directory import find_services
from .access import guard
from .choices import region_choices

bp = Blueprint("directory", __name__, url_prefix="/directory")


@bp.get("/")
def index():
    guard(Action.DIRECTORY_READ)
    category = request.args.get("category") or None
    if category not in {c.value for c in ServiceCategory}:
        category = None
    region_id = request.args.get("region_id", type=int)
    services = find_services(category=category, region_id=region_id)
    return render_template("directory/index.html", services=services, category=category, region_id=region_id,
                           regions=region_choices(), categories=[c.value for c in ServiceCategory])
