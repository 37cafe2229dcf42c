"""Security headers: a strict CSP with no inline script, no framing, no caching of survivor data."""

from __future__ import annotations

from flask import Flask, request
from flask_talisman import Talisman
from werkzeug.serving import WSGIRequestHandler

CONTENT_SECURITY_POLICY = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}

#: What the built-in server (`make run`) calls itself: by default "Werkzeug/3.x Python/3.11.y",
#: which tells an attacker which published flaws to try. Gunicorn already sends no version.
SERVER_NAME = "Masar"


def _server_banner(_handler) -> str:
    return SERVER_NAME


def init_security_headers(app: Flask) -> None:
    # The dev server writes its Server header itself, outside the app: set on its handler class.
    WSGIRequestHandler.version_string = _server_banner
    # One Talisman per app: it keeps its settings on itself, so a module-wide one would let the
    # last app created (a production one in a test, say) decide HTTPS for every other.
    Talisman(
        app,
        force_https=app.config["FORCE_HTTPS"],
        strict_transport_security=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy="same-origin",
        frame_options="DENY",
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"},
    )

    @app.after_request
    def no_store(response):
        # Anything but static assets may show survivor data: never cache it, anywhere.
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        return response


#: A file the site serves for download (a library PDF): if a browser ever renders it in the site's
#: origin anyway, it runs nothing and loads nothing.
DOWNLOAD_POLICY = {"default-src": "'none'", "sandbox": ""}
#: Used only for its per-view decorator, which marks the view; it is bound to no app.
_PER_VIEW = Talisman()


def served_as_download(view):
    """The view's answer gets `DOWNLOAD_POLICY` as its Content-Security-Policy."""
    return _PER_VIEW(content_security_policy=DOWNLOAD_POLICY)(view)
