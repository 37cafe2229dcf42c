"""Translated strings, resolved once per request and language rather than once per string.

Flask-Babel finds the translations anew for every string: three lookups through `g`, the locale
turned into text, a dictionary. A file page asks for about 180 strings (its template, the labels of
the vocabulary, its forms), and those lookups cost more than the translating. Here the current
context remembers which locale it resolved and what for; a change of locale inside the context
(`flask_babel.force_locale`, to write to someone in her own language, or `flask_babel.refresh`)
sets another `Locale` object, which no remembered answer matches, so it is resolved again.

Use these instead of Flask-Babel's own `gettext`, `ngettext` and `lazy_gettext`; they translate
with the same catalogues and the same rules.
"""

from __future__ import annotations

from flask.globals import _cv_app  # the app context itself: `g` through its proxy costs several lookups
from flask_babel import get_locale
from flask_babel import get_translations as _resolve_translations
from flask_babel.speaklater import LazyString

_REMEMBERED = "masar_resolved"


def _state():
    """Flask-Babel's per-context namespace, or None outside any context or before it exists."""
    app_ctx = _cv_app.get(None)
    if app_ctx is None:
        return None
    return app_ctx.g.__dict__.get("_flask_babel")


def _resolved() -> tuple:
    """(locale, language code, translations) of the current context."""
    state = _state()
    if state is not None:
        remembered = state.__dict__.get(_REMEMBERED)
        if remembered is not None and remembered[0] is state.__dict__.get("babel_locale"):
            return remembered
    translations = _resolve_translations()
    locale = get_locale()
    resolved = (locale, str(locale or "en").split("_")[0], translations)
    state = _state()
    if state is not None and locale is not None:
        state.__dict__[_REMEMBERED] = resolved
    return resolved


def translations():
    """The current context's translations (Babel's `Translations`, or null ones outside a request)."""
    return _resolved()[2]


def locale():
    """The reader's Babel `Locale` (None outside any request), resolved with her translations."""
    return _resolved()[0]


def language() -> str:
    """The reader's language code ("ar", "fr", "en"); "en" outside any request."""
    return _resolved()[1]


def gettext(string: str, **variables) -> str:
    text = translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables) -> LazyString:
    return LazyString(gettext, string, **variables)


def install_in_jinja(app) -> None:
    """The templates' `_`, `gettext` and `ngettext` through the remembered translations (in place of
    the ones Flask-Babel installs)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
