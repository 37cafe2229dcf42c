"""axe-core on every main page, per role, in Arabic and French: no serious or critical violation.

The pages are the ones each role works in all day (and the login page everyone sees). A violation
report names the rule, the impact and the first elements, so the failure says what to fix.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from referral.extensions import db
from referral.models.vocab import Role, ServiceCategory
from tests.browser.test_referral_journey import _log_in
from tests.factories import consent_and_refer, make_case, make_user

BLOCKING = {"serious", "critical"}
_axe = Axe()


@pytest.fixture
def scene(world):
    case = make_case(world.cw_a)
    referral = consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    lead = make_user("lead.a", world.assoc_a, Role.CASEWORKER, Role.LEAD)
    db.session.commit()
    stay = _stay(world)
    return {"case": case.id, "referral": referral.id, "lead": lead, "admin_target": world.cw_b.id,
            "stay": stay.id, "shelter": stay.service_id}


def _stay(world):
    """A woman admitted with two children to association B's shelter."""
    from referral.models import ShelterCapacity
    from referral.models.base import utcnow
    from referral.services import stays
    from referral.workflows import engine
    from tests.factories import as_user

    shelter = world.service(world.assoc_b, ServiceCategory.SHELTER)
    db.session.add(ShelterCapacity(service_id=shelter.id, beds=3, child_places=4, accessible_rooms=1))
    referral = consent_and_refer(world.cw_a, make_case(world.cw_a), shelter)
    with as_user(world.cw_b):
        engine.fire(referral, "accept", world.cw_b)
        stay = stays.admit(world.cw_b, referral, admitted_on=utcnow().date(), children=2)
        db.session.commit()
    return stay


PAGES = {
    "cw_a": ("/", "/cases/", "/cases/new", "/cases/{case}", "/cases/{case}/risk", "/referrals/outbox",
             "/referrals/{referral}", "/hotline/report", "/notifications/", "/directory/", "/account",
             "/referrals/new/{case}?need=shelter", "/stays/{stay}"),
    "cw_b": ("/stays/{stay}",),
    "officer_police": ("/", "/referrals/inbox", "/referrals/{referral}", "/cases/{case}",
                       "/cases/emergency-access"),
    "coordinator": ("/", "/dashboard", "/dashboard/overdue", "/sla-policies/", "/directory/", "/stays/occupancy",
                    "/stays/places/{shelter}"),
    "auditor": ("/audit", "/audit/verify"),
    "admin": ("/admin/users", "/admin/users/new", "/admin/users/{admin_target}", "/admin/emergency-access",
              "/admin/email"),
    "lead": ("/approvals",),
}


def _violations(page) -> list[str]:
    found = _axe.run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
            for v in found if v["impact"] in BLOCKING]


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_the_login_page(page, language):
    page.goto("/login")
    page.locator(f'.lang-switch button[value="{language}"]').click()
    assert _violations(page) == []


@pytest.mark.parametrize("language", ["ar", "fr"])
@pytest.mark.parametrize("who", list(PAGES))
def test_every_main_page_of_each_role(page, world, scene, who, language):
    user = scene["lead"] if who == "lead" else getattr(world, who)
    _log_in(page, user, language=language)
    problems = {}
    for path in PAGES[who]:
        url = path.format(**scene)
        response = page.goto(url)
        assert response.status < 400, (url, response.status)
        if found := _violations(page):
            problems[url] = found
    assert problems == {}
