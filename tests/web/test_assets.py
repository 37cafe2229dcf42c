"""Fast on poor connections: fingerprinted assets cached for a year; the idle-session notice."""

from __future__ import annotations

import re

from tests.factories import csrf_token, login

ASSET = re.compile(r'href="(/static/css/app\.css\?v=([0-9a-f]{12}))"')


def test_assets_carry_their_fingerprint_and_are_cached_for_a_year(client, world):
    page = client.get("/login").get_data(as_text=True)
    url, version = ASSET.search(page).groups()
    assert re.search(r'src="/static/js/quick-exit\.js\?v=[0-9a-f]{12}"', page)
    with client.get(url) as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # Without the fingerprint, or with an old one, the browser must check every time.
    for stale in ("/static/css/app.css", "/static/css/app.css?v=000000000000"):
        with client.get(stale) as response:
            assert response.headers["Cache-Control"] == "no-cache"
    # Pages themselves are never cached.
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    assert len(version) == 12


def test_a_missing_asset_is_not_found_and_gets_no_fingerprint(client, world):
    assert client.get("/static/css/nothing.css").status_code == 404
    assert client.get("/static/../config.py").status_code == 404


def test_the_idle_notice_is_on_staff_pages_only_and_keep_alive_needs_the_token(client, world):
    assert 'id="session-warning"' not in client.get("/login").get_data(as_text=True)
    assert client.post("/account/keep-alive").status_code in (302, 400)  # anonymous: never 204
    login(client, world.cw_a)
    page = client.get("/").get_data(as_text=True)
    notice = re.search(r'<div id="session-warning"[^>]*>', page).group(0)
    assert 'data-idle-seconds="900"' in notice and " hidden" in notice
    assert client.post("/account/keep-alive").status_code == 400  # no CSRF token
    token = csrf_token(client, "/")
    assert client.post("/account/keep-alive", headers={"X-CSRFToken": token}).status_code == 204
