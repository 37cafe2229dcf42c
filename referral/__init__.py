"""Masar: referral and case management for networks supporting women survivors of violence."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from .timezones import use_the_pinned_database

use_the_pinned_database()  # before any zone is read, config's included

from config import check_production, load_config  # noqa: E402

BASE_DIR = Path(__file__).resolve().parent.parent


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Build the application. `overrides` lets tests and commands replace settings."""
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        instance_path=str(BASE_DIR / "instance"),
    )
    app.config.update(load_config(config_name))
    app.config.update(overrides or {})
    if app.config["ENV_NAME"] == "production":
        check_production(app.config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        Path(app.instance_path).mkdir(exist_ok=True)

    from . import extensions, lifecycle, models  # noqa: F401  (models registers every table)
    from .i18n import init_i18n
    from .security.headers import init_security_headers
    from .security.keys import init_keys
    from .security.resilient_sessions import ResilientSessionInterface

    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(BASE_DIR / "migrations"))
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)
    init_keys(app)
    init_i18n(app)
    init_security_headers(app)
    app.session_interface = ResilientSessionInterface()
    from .security.proxies import init_proxies
    from .selfcheck import init_selfcheck

    init_proxies(app)
    init_selfcheck(app)  # before the lifecycle: a refused process reads nothing else
    lifecycle.init_lifecycle(app)

    from .sqlite import init_sqlite

    init_sqlite(app)

    from .web import register_web

    register_web(app)
    from .api import init_api
    init_api(app)

    from .cli import register_cli
    from .jobs import register as register_jobs

    register_cli(app)
    register_jobs(app)
    return app
