"""Phone size (issue 21, part 3): at 375 px wide, in Arabic and in French, no main page of any role
scrolls sideways, the menu folds behind one toggle (no JavaScript needed) and tap targets are at
least 24 px."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from referral.extensions import db
from referral.models.base import utcnow
from referral.models.vocab import ServiceCategory
from referral.workflows.engine import fire
from tests.browser.conftest import snap
from tests.browser.test_referral_journey import _log_in
from tests.factories import as_user, consent_and_refer, make_case

PHONE = {"width": 375, "height": 740}
ROLES = ("cw_a", "officer_police", "coordinator", "auditor", "admin")
#: Controls a finger must hit (WCAG 2.5.8); links inside sentences are exempt there, and here.
TARGETS = ("main button:visible, main input[type=checkbox]:visible, main input[type=radio]:visible, "
           "main select:visible, details.menu > summary, .lang-switch button, a.quick-exit")
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def busy_network(world):
    """Enough rows for every home table and list: overdue, declined and waiting referrals."""
    case = make_case(world.cw_a, full_name="فاطمة الزهراء بنعلي بنت محمد بن عبد الله")
    service = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    sent = utcnow() - timedelta(days=4)
    referrals = [consent_and_refer(world.cw_a, case, service, at=sent + timedelta(hours=i)) for i in range(4)]
    with as_user(world.officer_police):
        fire(referrals[0], "decline", world.officer_police, reason="no_capacity")
        db.session.commit()
    return case


def _main_pages(page) -> list[str]:
    """Home and every page of the user's menu."""
    page.goto("/")
    return ["/"] + [a.get_attribute("href") for a in page.locator(".mainnav a").all()]


def _assert_fits(page, path: str, label: str):
    overflow = page.evaluate(OVERFLOW)
    assert overflow <= 0, f"{label}: {path} scrolls sideways by {overflow} px at 375 px"


def _assert_tap_targets(page, path: str, label: str):
    small = []
    for element in page.locator(TARGETS).all():
        box = element.bounding_box()
        if box and (box["height"] < 24 or box["width"] < 24):
            small.append(f"{element.evaluate('e => e.outerHTML.slice(0, 80)')} {box['width']:.0f}x{box['height']:.0f}")
    assert not small, f"{label}: {path} has targets under 24 px: {small}"


@pytest.mark.parametrize("language", ["ar", "fr"])
@pytest.mark.parametrize("role", ROLES)
def test_main_pages_fit_a_phone(page, page_log, world, busy_network, role, language):
    page.set_viewport_size(PHONE)
    _log_in(page, getattr(world, role), language)
    label = f"{role}/{language}"
    paths = _main_pages(page)
    assert len(paths) >= 3, paths
    for path in paths:
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", language)
        _assert_fits(page, path, label)
        _assert_tap_targets(page, path, label)
    if role == "cw_a":
        page.goto(f"/cases/{busy_network.id}")
        _assert_fits(page, "the file page", label)
    snap(page, f"phone-{role}-{language}")
    page_log.assert_clean()


def test_the_menu_folds_on_a_phone_and_opens_without_script(browser, live_server, world):
    context = browser.new_context(base_url=live_server, viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        _log_in(page, world.cw_a)
        menu = page.locator(".mainnav")
        expect(menu).to_be_hidden()
        header = page.locator("header.topbar").bounding_box()
        assert header["height"] < PHONE["height"] / 5, header  # the header no longer takes a third
        page.locator("details.menu > summary").click()
        expect(menu).to_be_visible()
        page.locator('.mainnav a[href="/cases/"]').click()
        expect(page).to_have_url(f"{live_server}/cases/")
    finally:
        context.close()


def test_the_menu_stays_open_on_a_desktop(page, world):
    page.set_viewport_size({"width": 1280, "height": 800})
    _log_in(page, world.cw_a)
    expect(page.locator(".mainnav")).to_be_visible()
    expect(page.locator("details.menu > summary")).to_be_hidden()
    snap(page, "desktop-home-ar")
