"""Pages stay light: under 200 KB on first load, counting every asset they pull in, all served locally.

Offices on poor connections (or none) must be able to use Masar: no CDN, no web fonts from elsewhere,
no framework. "First load" means an empty cache: the HTML plus each stylesheet, script, icon and
image it links to, and whatever those stylesheets link to in turn.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from referral.extensions import limiter
from referral.models.vocab import ServiceCategory
from tests.factories import consent_and_refer, login, make_case

BUDGET = 200 * 1024
#: The home lists show at most this many rows; fill them so each page is weighed at its heaviest.
FULL_LIST = 11

CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        wanted = {"link": "href", "script": "src", "img": "src", "source": "src", "video": "poster"}.get(tag)
        if wanted and attrs.get(wanted):
            self.urls.append(attrs[wanted])


def _weigh(client, path: str) -> tuple[int, dict[str, int]]:
    """Bytes of the page and of every asset it pulls in, each asset counted once."""
    response = client.get(path)
    assert response.status_code == 200, f"{path} answered {response.status_code}"
    sizes = {path: len(response.data)}
    sizes.update(_asset_sizes(client, path, response.get_data(as_text=True)))
    return sum(sizes.values()), sizes


def _asset_sizes(client, path: str, html: str) -> dict[str, int]:
    parser = _Assets()
    parser.feed(html)
    page_url = f"http://masar.test{path}"
    sizes: dict[str, int] = {}
    pending = [urljoin(page_url, u) for u in parser.urls]
    while pending:
        url = pending.pop()
        if url.startswith("data:"):
            continue  # already counted inside the page or stylesheet that holds it
        parts = urlsplit(url)
        assert parts.netloc == "masar.test", f"{path} loads {url} from elsewhere: every asset must be local"
        local = parts.path + (f"?{parts.query}" if parts.query else "")
        if local in sizes:
            continue
        asset = client.get(local)
        assert asset.status_code == 200, f"{path} links to {local}, which answers {asset.status_code}"
        sizes[local] = len(asset.data)
        if asset.mimetype == "text/css":
            for match in CSS_URL.finditer(asset.get_data(as_text=True)):
                pending.append(urljoin(url, match.group(1) or match.group(2)))
        asset.close()
    return sizes


@pytest.fixture(autouse=True)
def _fresh_login_limits():
    # The login rate limit counts per IP and every test client is 127.0.0.1; this module logs in
    # once per role and must not inherit the rest of the suite's attempts.
    limiter.reset()


def test_the_login_page_is_light_and_local(client):
    total, sizes = _weigh(client, "/login")
    assert any(urlsplit(p).path.endswith(".css") for p in sizes), f"the login page links no stylesheet: {sizes}"
    assert total < BUDGET, f"/login weighs {total} bytes: {sizes}"


def test_the_weighing_fails_on_missing_or_remote_assets(client):
    # A missing asset or a CDN link must fail the weighing, not make a page look lighter.
    with pytest.raises(AssertionError, match="answers 404"):
        _asset_sizes(client, "/login", '<link rel="stylesheet" href="/static/css/missing.css">')
    with pytest.raises(AssertionError, match="from elsewhere"):
        _asset_sizes(client, "/login", '<script src="https://cdn.example.org/lib.js"></script>')
    # A relative link resolves against the page, as the browser resolves it.
    sizes = _asset_sizes(client, "/login", '<link rel="stylesheet" href="static/css/app.css">')
    assert "/static/css/app.css" in sizes


@pytest.fixture
def busy_network(world):
    """Full home lists for every role: open files, referrals waiting in an inbox, audit events."""
    police_service = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    for n in range(FULL_LIST):
        case = make_case(world.cw_a, full_name=f"Survivor number {n}", phone=f"06123456{n:02d}")
        consent_and_refer(world.cw_a, case, police_service)
    return world


@pytest.mark.parametrize("who", ["cw_a", "officer_police", "coordinator", "regional_coordinator", "auditor",
                                 "admin"])
def test_each_role_home_page_is_light(client, busy_network, who):
    login(client, getattr(busy_network, who))
    total, sizes = _weigh(client, "/")
    assert any(urlsplit(p).path.endswith(".css") for p in sizes), f"the home page links no stylesheet: {sizes}"
    assert total < BUDGET, f"{who}'s home page weighs {total} bytes: {sizes}"
