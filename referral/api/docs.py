"""The OpenAPI document and its documentation page (local assets only: the CSP allows no CDN)."""

from __future__ import annotations

from flask import current_app, jsonify

from .base import root


def _spec() -> dict:
    api = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    return api.spec.to_dict()


def openapi_json():
    return jsonify(_spec())


def docs():
    return current_app.send_static_file("api-docs/index.html")


# Added with Flask's own add_url_rule: these two are not API operations, so not in the document.
for rule, view in (("/openapi.json", openapi_json), ("/docs", docs)):
    super(type(root), root).add_url_rule(rule, view.__name__, view, methods=["GET"])
