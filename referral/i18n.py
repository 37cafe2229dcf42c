"""Languages: Arabic (default, right to left), French and English, through Flask-Babel."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, abort, g, redirect, request, session, url_for

from .extensions import babel
from .translation import install_in_jinja, language
from .web.redirects import local_path

RTL_LANGUAGES = frozenset({"ar"})
LANGUAGE_NAMES = {"ar": "العربية", "fr": "Français", "en": "English"}

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    from flask import current_app

    from .lifecycle import ANONYMOUS_PUBLIC_ENDPOINTS

    languages = current_app.config["LANGUAGES"]
    if request.endpoint in ANONYMOUS_PUBLIC_ENDPOINTS:
        # No session on the public pages: the language rides in the address or the form.
        chosen = request.args.get("lang")
        if request.method == "POST" and (request.content_length or 0) <= (request.max_content_length or 0):
            chosen = request.form.get("lang", chosen)
        return chosen if chosen in languages else current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang") if hasattr(session, "get") else None
    if chosen in languages:
        return chosen
    user = g.get("user")
    if user is not None and user.locale in languages:
        return user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> ZoneInfo:
    """The reader's clock: her agency's time zone, else the deployment's (MASAR_DEFAULT_TIMEZONE).
    Every date and time a page shows is on it, as her follow-ups and the SLA's working hours
    already were. A `ZoneInfo`, as they use, so that all of them read the same time zone database
    (Flask-Babel would otherwise turn the name into a pytz zone, whose rules can differ)."""
    from flask import current_app

    user = g.get("user")
    agency = getattr(user, "agency", None) if user is not None else None
    return ZoneInfo(getattr(agency, "timezone", None) or current_app.config["DEFAULT_TIMEZONE"])


def text_direction() -> str:
    return "rtl" if language() in RTL_LANGUAGES else "ltr"


@bp.post("/language")
def set_language():
    from flask import current_app

    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = lang
    if g.get("user") is not None:
        g.user.locale = lang
    # Only local paths: an open redirect would turn the switch into a phishing tool.
    return redirect(local_path(request.form.get("next")) or url_for("home.index"))


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    install_in_jinja(app)
    app.register_blueprint(bp)

    @app.context_processor
    def language_context():
        return {
            "text_direction": text_direction(),
            "current_language": language(),
            "language_names": LANGUAGE_NAMES,
        }
