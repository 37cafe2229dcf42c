"""The service directory in Open Referral HSDS 3.0, for anyone: the public services, with their
hours, languages and accessibility; no address (a shelter's location is never public), no email."""

from __future__ import annotations

from flask import jsonify

from ..services import hsds
from .base import ApiBlueprint

bp = ApiBlueprint("hsds", __name__, url_prefix="/v1/hsds", tag="directory",
                  description="The service directory in Open Referral HSDS 3.0 (public, no token).")


@bp.route("/services", methods=["GET"])
@bp.doc(security=[], responses={"200": {"description": "A list of HSDS 3.0 services (the HSDS `service_list` "
                                                       "page shape), with their organizations and schedules.",
                                        "content": {"application/json": {"schema": {"type": "object"}}}}})
def services():
    """Every active service of the directory in HSDS 3.0, without any address"""
    return jsonify(hsds.export_directory(staff=False))
