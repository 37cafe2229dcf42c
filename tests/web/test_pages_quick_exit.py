"""Quick exit (issue 21, part 1): on every page, logged in or not, a plain link to a neutral site that
works without JavaScript, and a script from 'self' that the CSP allows (the browser test drives it)."""

from __future__ import annotations

import re

from tests.factories import login, make_case

QUICK_EXIT = re.compile(r'<a class="quick-exit" href="([^"]+)" rel="noreferrer"[^>]*>')


def _exit_link(html: str) -> str:
    match = QUICK_EXIT.search(html)
    assert match, "no quick-exit link on the page"
    # Before the menu and the content: the first thing a keyboard reaches after the skip link.
    assert match.start() < html.index("<header"), "the quick exit comes before the header"
    return match.group(1)


def test_the_login_page_has_the_quick_exit(client, app):
    html = client.get("/login").get_data(as_text=True)
    assert _exit_link(html) == app.config["QUICK_EXIT_URL"]


def test_the_hotline_intake_and_file_pages_have_the_quick_exit(client, world):
    case = make_case(world.cw_a)
    login(client, world.cw_a)
    for path in ("/cases/new", "/hotline/report", "/hotline/support", f"/cases/{case.id}", "/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert _exit_link(response.get_data(as_text=True)).startswith("https://"), path
    refused = client.get("/cases/00000000-0000-0000-0000-000000000000")
    assert refused.status_code == 404
    _exit_link(refused.get_data(as_text=True))


def test_the_neutral_site_is_configurable(app, monkeypatch):
    from referral import create_app

    monkeypatch.setenv("MASAR_QUICK_EXIT_URL", "https://meteo.example/")
    other = create_app("test", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                "SERVER_NAME": "masar.test"})
    html = other.test_client().get("/login").get_data(as_text=True)
    assert _exit_link(html) == "https://meteo.example/"


def test_the_script_is_served_from_self_and_allowed_by_the_csp(client):
    html = client.get("/login").get_data(as_text=True)
    src = re.search(r'<script src="(/static/js/quick-exit\.js\?v=[0-9a-f]{12})" defer></script>', html).group(1)
    assert "<script>" not in html  # no inline script: the CSP would block it
    with client.get(src) as script:
        assert script.status_code == 200
        assert "javascript" in script.content_type
        assert "location.replace" in script.get_data(as_text=True)
    csp = client.get("/login").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
