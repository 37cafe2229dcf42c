"""HTML views: thin handlers that parse a form, call one service, render."""

from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    from . import auth, errors, health, home
    from .formatting import init_formatting
    from .nav import init_nav

    init_nav(app)
    init_formatting(app)

    app.register_blueprint(auth.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(health.bp)
    errors.register_error_pages(app)
