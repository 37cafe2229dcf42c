"""The language of an API answer: Accept-Language, else the account's, else the default (Arabic)."""

from __future__ import annotations

from flask import current_app, g, request


def api_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = request.accept_languages.best_match(languages)
    if chosen:
        return chosen
    user = g.get("user")
    if user is not None and user.locale in languages:
        return user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]
