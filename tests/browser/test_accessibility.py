"""axe-core on every main page, per role, in Arabic and French: no serious or critical violation.

The pages are the ones each role works in all day (and the login page everyone sees). A violation
report names the rule, the impact and the first elements, so the failure says what to fix.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from referral.extensions import db
from referral.models.vocab import AgencyKind, Role, ServiceCategory
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
    goal, secret = _plan_library_and_partner(world, case)
    return {"case": case.id, "referral": referral.id, "lead": lead, "admin_target": world.cw_b.id,
            "stay": stay.id, "shelter": stay.service_id, "goal": goal.id, "partner": secret,
            "region": world.r1.id}


def _plan_library_and_partner(world, case):
    """A goal of her plan, a published library page, and a partner outside Masar with its letter."""
    from referral.services import library, partner_links, plan
    from tests.factories import as_user, make_agency

    with as_user(world.cw_a):
        goal = plan.add_goal(world.cw_a, case, {"area": "legal", "goal": "File a complaint", "by_whom": "association"})
    with as_user(world.coordinator):
        page = library.save_item(world.coordinator, None, {"slug": "rights", "language": "ar", "topic": "rights",
                                                           "title": "حقوقك", "body_markdown": "## حقوقك\n\n* نص"},
                                 kind="article")
        library.set_published(world.coordinator, page, True, page.version)
    lawyer = make_agency("LAWYER", AgencyKind.ASSOCIATION, world.r1, [ServiceCategory.LEGAL])
    lawyer.external_partner = True
    to_lawyer = consent_and_refer(world.cw_a, case, world.service(lawyer, ServiceCategory.LEGAL))
    with as_user(world.cw_a):
        _link, secret = partner_links.issue_link(world.cw_a, to_lawyer)
    db.session.commit()
    return goal, secret


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
             "/referrals/new/{case}?need=shelter", "/stays/{stay}", "/cases/{case}/goals/{goal}",
             "/directory/?language=zgh&step_free_access=1"),
    "cw_b": ("/stays/{stay}",),
    "officer_police": ("/", "/referrals/inbox", "/referrals/{referral}", "/cases/{case}",
                       "/cases/emergency-access"),
    "coordinator": ("/", "/dashboard", "/dashboard/overdue", "/sla-policies/", "/directory/", "/stays/occupancy",
                    "/stays/places/{shelter}", "/library/manage", "/library/manage/new/article", "/directory/hsds"),
    "auditor": ("/audit", "/audit/verify"),
    "admin": ("/admin/users", "/admin/users/new", "/admin/users/{admin_target}", "/admin/emergency-access",
              "/admin/email", "/admin/erasures"),
    "lead": ("/approvals", "/supervision", "/supervision/steps"),
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


#: Pages anyone opens without an account: the awareness library, help by region, a partner's letter page.
PUBLIC_PAGES = ("/library?lang={language}", "/library/rights?lang={language}",
                "/library/help?region_id={region}&lang={language}", "/partner/{partner}?lang={language}")


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_the_pages_without_an_account(page, scene, language):
    problems = {}
    for path in PUBLIC_PAGES:
        url = path.format(language=language, **scene)
        response = page.goto(url)
        assert response.status < 400, (url, response.status)
        if found := _violations(page):
            problems[url] = found
    assert problems == {}
