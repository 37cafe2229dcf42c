"""A woman and her two children, referred to a shelter showing two free places: admitted, a
protocol service recorded, the exit; the places move with each step."""

from __future__ import annotations

from playwright.sync_api import expect

from referral.extensions import db
from referral.models import ShelterCapacity
from referral.models.base import utcnow
from referral.models.vocab import ServiceCategory
from tests.browser.conftest import TIMEOUT_MS, snap
from tests.browser.test_referral_journey import _act, _log_in
from tests.factories import make_case


def _free(service_id):
    db.session.expire_all()
    capacity = db.session.execute(db.select(ShelterCapacity).where(ShelterCapacity.service_id == service_id)).scalar()
    return capacity.beds_free, capacity.child_places_free


def test_refer_admit_record_a_service_and_exit(page, browser, live_server, world):
    shelter = world.service(world.assoc_b, ServiceCategory.SHELTER)
    db.session.add(ShelterCapacity(service_id=shelter.id, beds=2, child_places=2, accessible_rooms=0))
    db.session.commit()
    case = make_case(world.cw_a)
    today = utcnow().date().strftime("%d/%m/%Y")

    # The caseworker, in English, sees the two free places on the refer form and refers.
    _log_in(page, world.cw_a, language="en")
    page.goto(f"/referrals/new/{case.id}?need=shelter")
    expect(page.locator("#service_id")).to_contain_text("2 beds free")
    page.locator("#service_id").select_option(str(shelter.id))
    page.locator("#urgency").select_option("urgent")
    page.locator('input[name=shared_fields][value="name"]').check()
    page.locator("#record_consent").check()
    page.locator("form[method=post] button.primary").click()
    expect(page.locator("h1 .ref")).to_contain_text("REF-")
    reference_url = page.url
    snap(page, "shelter-1-referred")

    # The shelter's staff accepts and admits her with her two children.
    context = browser.new_context(base_url=live_server)
    context.set_default_timeout(TIMEOUT_MS)
    staff = context.new_page()
    _log_in(staff, world.cw_b, language="fr")
    staff.goto(reference_url.replace(live_server, ""))
    for action in ("acknowledge", "accept"):
        _act(staff, action)
    staff.locator(f'a[href$="/stays/admit/{reference_url.rsplit("/", 1)[1]}"]').click()
    staff.locator("#admitted_on").fill(today)
    staff.locator("#children").fill("2")
    staff.locator("main form button.primary").click()
    expect(staff.locator(".flash-success")).to_be_visible()
    assert _free(shelter.id) == (1, 0)
    snap(staff, "shelter-2-admitted-fr")

    # A protocol service, given today.
    staff.locator("#code").select_option("reception_listening")
    staff.locator("#given_on").fill(today)
    staff.locator('form[action$="/services"] button').click()
    expect(staff.locator(".flash-success")).to_be_visible()

    # The sender follows the stay.
    page.goto(reference_url.replace(live_server, ""))
    page.locator('a[href*="/stays/"]').click()
    expect(page.locator("main")).to_contain_text("Reception and listening")
    snap(page, "shelter-3-sender-follows")

    # The exit gives the places back.
    staff.locator("#exited_on").fill(today)
    staff.locator("#destination").select_option("family")
    staff.locator("#outcome").select_option("goals_met")
    staff.locator('form[action$="/exit"] button').click()
    expect(staff.locator(".flash-success")).to_be_visible()
    assert _free(shelter.id) == (2, 2)
    snap(staff, "shelter-4-exit-fr")
    context.close()
