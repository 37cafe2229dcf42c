"""Translated strings resolved once per context: the language follows every change of locale inside a
request (a letter written in its reader's language, then the page in the viewer's), and a string
outside any request is the English source."""

from __future__ import annotations

import pytest
from flask import render_template_string
from flask_babel import force_locale, refresh

from referral.translation import gettext, language, lazy_gettext, ngettext

pytestmark = pytest.mark.no_db


def test_outside_any_context_the_source_is_returned():
    assert gettext("Cancel") == "Cancel"
    assert language() == "en"


def test_the_locale_forced_inside_a_request_is_followed_both_ways(app):
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        first = gettext("Cancel")  # the viewer's language (Arabic by default)
        assert language() == "ar" and first != "Cancel"
        with force_locale("fr"):
            assert language() == "fr"
            assert gettext("Cancel") == "Annuler"
            assert str(lazy_gettext("Cancel")) == "Annuler"
            assert render_template_string("{{ _('Cancel') }}") == "Annuler"
            with force_locale("en"):
                assert gettext("Cancel") == "Cancel"
            assert gettext("Cancel") == "Annuler"
        assert gettext("Cancel") == first
        assert render_template_string("{{ _('Cancel') }}") == first


def test_a_refresh_resolves_the_language_again(app):
    with app.test_request_context("/"):
        assert language() == "ar"
        app.config["BABEL_DEFAULT_LOCALE"], default = "fr", app.config["BABEL_DEFAULT_LOCALE"]
        try:
            assert language() == "ar"  # remembered for the context
            refresh()
            assert language() == "fr"
        finally:
            app.config["BABEL_DEFAULT_LOCALE"] = default


def test_plurals_use_the_catalogue_s_rule(app):
    with app.test_request_context("/"), force_locale("ar"):
        two = ngettext("in %(num)d day", "in %(num)d days", 2)
        three = ngettext("in %(num)d day", "in %(num)d days", 3)
    assert two == "خلال يومين" and three == "خلال 3 أيام"
