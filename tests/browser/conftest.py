"""Real-browser tests: the test app served over HTTP, driven by Chromium through Playwright.

Environment:
- MASAR_BROWSER: the Chromium executable (default /usr/bin/chromium, else Playwright's own Chromium);
- MASAR_REQUIRE_BROWSER=1 (set by CI): a missing browser fails the tests instead of skipping them;
- MASAR_TEST_ARTIFACTS: where screenshots go (default test-artifacts/, gitignored).

Screenshots kept: the ones a test asks for with `snap(page, name)`, and one named after the test
whenever it fails.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ARTIFACTS = Path(os.environ.get("MASAR_TEST_ARTIFACTS") or Path(__file__).resolve().parents[2] / "test-artifacts")
BROWSER_DIR = Path(__file__).resolve().parent
REQUIRE_BROWSER = os.environ.get("MASAR_REQUIRE_BROWSER") == "1"
DEFAULT_BROWSER = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Fail fast: a page of this app that takes longer than this is a bug, not a slow machine.
TIMEOUT_MS = 10_000

_reports = pytest.StashKey[dict]()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # tryfirst: the mark must be on the items before `-m "not browser"` deselects them.
    for item in items:
        if BROWSER_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item so fixtures can tell, at teardown, whether the test failed.
    report = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


def _missing(reason: str):
    if REQUIRE_BROWSER:
        pytest.fail(f"MASAR_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(f"{reason} (set MASAR_BROWSER to a Chromium executable; CI runs these)")


def _browser_executable(playwright) -> str | None:
    chosen = os.environ.get("MASAR_BROWSER")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    if os.access(DEFAULT_BROWSER, os.X_OK):
        return DEFAULT_BROWSER
    bundled = playwright.chromium.executable_path  # after `playwright install chromium`, on a laptop
    return bundled if bundled and os.access(bundled, os.X_OK) else None


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the Python package playwright is not installed")
    with sync_playwright() as playwright:
        executable = _browser_executable(playwright)
        if executable is None:
            _missing(f"no Chromium executable found ({os.environ.get('MASAR_BROWSER') or DEFAULT_BROWSER})")
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def live_server(app):
    """The session's test app over real HTTP, one thread per request as in production.

    Each request pushes its own app context, so the server's database sessions are separate from
    the test's; whatever the test commits (e.g. the `world` fixture) the server sees, and the
    database is emptied after every test as for the rest of the suite. SERVER_NAME ("masar.test")
    does not restrict which host is served (Flask >= 3.1) and only matters for external URLs.
    """
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@dataclass
class PageLog:
    """What the browser complained about while the test ran: console errors, uncaught script
    errors, sub-resources that failed to load and Content-Security-Policy violations."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    #: Pages the test navigated to that answered 4xx/5xx on purpose (a refused form is a 422).
    refused_navigations: set[str] = field(default_factory=set)

    def problems(self) -> list[str]:
        # Chromium also prints such a navigation's status as a console error: that one the test
        # has asserted itself; a sub-resource that fails to load still counts.
        console = [text for text in self.console_errors
                   if not (text.startswith("Failed to load resource: the server responded with a status of")
                           and text.rsplit("(", 1)[-1].rstrip(")") in self.refused_navigations)]
        return console + self.page_errors + self.csp_violations + self.bad_responses

    def assert_clean(self) -> None:
        assert self.problems() == [], "the browser reported problems:\n" + "\n".join(self.problems())


# Runs in every document before the page's own code; the binding is injected through the DevTools
# protocol, so the page's CSP (no inline script) does not stop it. The console also reports most
# violations, but this catches them all, whatever Chromium decides to print.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__masarCspViolation(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} on ${e.documentURI}`);
});
"""


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def page(browser, live_server, page_log, request):
    """A fresh browser context (no cookies, browser's own locale) per test, on the live server."""
    from referral.extensions import limiter

    # The login rate limit counts per IP; the browser and the test client are both 127.0.0.1, so
    # start each browser test with clean counters as it starts with a clean database.
    limiter.reset()
    context = browser.new_context(base_url=live_server)
    context.set_default_timeout(TIMEOUT_MS)
    context.expose_binding("__masarCspViolation", lambda _source, text: page_log.csp_violations.append(text))
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on("console", lambda msg: msg.type == "error" and page_log.console_errors.append(
        f"{msg.text} ({msg.location.get('url', '')})"))
    page.on("pageerror", lambda exc: page_log.page_errors.append(f"uncaught: {exc}"))
    # A page the test navigates to may be an error page on purpose (it asserts that itself); a
    # stylesheet, script or icon that fails to load never is.
    page.on("response", lambda r: r.status >= 400 and (
        page_log.refused_navigations.add(r.url) if r.request.is_navigation_request()
        else page_log.bad_responses.append(f"HTTP {r.status} {r.url}")))
    yield page
    reports = request.node.stash.get(_reports, {})
    if any(r.failed for r in reports.values()):
        snap(page, f"FAILED-{_safe_name(request.node.name)}")
    context.close()


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:120]


def snap(page, name: str) -> Path:
    """Keep a full-page screenshot as test-artifacts/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{_safe_name(name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
