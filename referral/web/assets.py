"""Static assets with their content's fingerprint in the URL, cached for a year.

Every `url_for('static', filename=...)` gets `?v=<sha-256 prefix of the file>`; an answer to such a
URL may be kept by the browser for a year without asking again (a new release has a new
fingerprint, hence a new URL). On a slow phone connection the first page no longer waits on
re-validating the stylesheet. An asset asked for without (or with a stale) fingerprint is served
`no-cache`: always checked, never stale.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, request

YEAR_SECONDS = 365 * 24 * 3600


def init_assets(app: Flask) -> None:
    folder = Path(app.static_folder).resolve()

    def compute(filename: str) -> str | None:
        path = (folder / filename).resolve()
        if folder not in path.parents or not path.is_file():
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]

    # Files do not change under a running release; in debug (`make run`), they may at any time.
    fingerprint = compute if app.debug else lru_cache(maxsize=256)(compute)

    @app.url_defaults
    def add_fingerprint(endpoint, values):
        if endpoint == "static" and "v" not in values:
            version = fingerprint(values.get("filename", ""))
            if version:
                values["v"] = version

    @app.after_request
    def cache_fingerprinted(response):
        if request.endpoint == "static" and response.status_code in (200, 304):
            filename = (request.view_args or {}).get("filename", "")
            if request.args.get("v") and request.args.get("v") == fingerprint(filename):
                response.headers["Cache-Control"] = f"public, max-age={YEAR_SECONDS}, immutable"
            else:
                response.headers["Cache-Control"] = "no-cache"
        return response
