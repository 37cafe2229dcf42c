"""Every file or referral number on the home pages is a link to it, for every role that sees it, and
no role is shown a link it cannot open (issue 21, part 2)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from referral.extensions import db
from referral.models.base import utcnow
from referral.models.vocab import ServiceCategory
from referral.workflows.engine import fire
from tests.factories import as_user, consent_and_refer, login, make_case

REFERENCE = re.compile(r"(?:CAS|REF)-\d{4}-\d+")
MAIN = re.compile(r"<main\b.*?</main>", re.S)
LINK = re.compile(r'<a\b[^>]*href="(/[^"]*)"[^>]*>(.*?)</a>', re.S)


@pytest.fixture
def network(world):
    """cw.a's file with two police referrals sent three days ago (so overdue): one still waiting,
    one declined, which comes back to her."""
    case = make_case(world.cw_a)
    service = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    sent = utcnow() - timedelta(days=3)
    waiting = consent_and_refer(world.cw_a, case, service, at=sent)
    declined = consent_and_refer(world.cw_a, case, service, at=sent)
    with as_user(world.officer_police):
        fire(declined, "decline", world.officer_police, reason="no_capacity")
        db.session.commit()
    return case, waiting, declined


def _main(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return MAIN.search(response.get_data(as_text=True)).group(0)


def _plain_references(html: str) -> list[str]:
    """References written outside any link."""
    return REFERENCE.findall(LINK.sub("", html))


@pytest.mark.parametrize("role", ["cw_a", "officer_police", "coordinator"])
def test_every_reference_on_home_is_a_link_that_opens(client, world, network, role):
    case, waiting, declined = network
    login(client, getattr(world, role))
    html = _main(client)
    links = {REFERENCE.search(text).group(0): href for href, text in LINK.findall(html) if REFERENCE.search(text)}
    expected = {
        "cw_a": {case.case_number, declined.reference},
        "officer_police": {waiting.reference},
        "coordinator": {waiting.reference},
    }[role]
    assert expected <= set(links), (expected, links)
    assert _plain_references(html) == []
    for reference, href in links.items():
        page = client.get(href)
        assert page.status_code == 200, f"{role}: {reference} links to {href}, answered {page.status_code}"
        assert reference in page.get_data(as_text=True)


def test_no_role_gets_a_link_it_cannot_open(client, world, network):
    """Whatever a home page links to inside its content, the same user may open."""
    for role in ("cw_a", "cw_b", "officer_police", "officer_hospital", "coordinator", "regional_coordinator",
                 "auditor", "admin"):
        own = client.application.test_client()  # a fresh browser per user
        login(own, getattr(world, role))
        for href, _text in LINK.findall(_main(own)):
            answer = own.get(href)
            assert answer.status_code == 200, f"{role}: home links to {href}, answered {answer.status_code}"


def test_the_coordinator_link_leads_to_the_oversight_page_not_the_file(client, world, network):
    _case, waiting, _declined = network
    login(client, world.coordinator)
    html = _main(client)
    assert f'href="/dashboard/referrals/{waiting.id}"' in html
    assert "/cases/" not in html
