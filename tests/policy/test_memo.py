"""The request's memo of what its access decisions read: read once, never used after a change."""

from __future__ import annotations

from flask import g

from referral.extensions import db
from referral.models import Consent
from referral.models.vocab import ServiceCategory
from referral.policy import case_access
from referral.policy.fields import active_consents
from referral.services.consents import record_consent, withdraw_consent
from tests.factories import as_user, consent_and_refer, make_case, statements


def _consents_read(sql: list[str]) -> int:
    return sum(1 for s in sql if s.lstrip().upper().startswith("SELECT") and "FROM consents" in s)


def test_the_file_s_consents_are_read_once_for_every_question_of_the_request(app, world):
    case = make_case(world.cw_a)
    police = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    consent_and_refer(world.cw_a, case, police)
    officer = world.officer_police
    with app.test_request_context(), statements() as sql:
        g.user = officer
        assert case_access(officer, case).relation == "recipient"
        first = active_consents(case)
        again = active_consents(case)
        assert [c.id for c in first] == [c.id for c in again] and len(first) == 1
        assert _consents_read(sql) == 1
        again.clear()  # a caller's list is its own
        assert len(active_consents(case)) == 1


def test_a_consent_recorded_or_withdrawn_in_the_request_is_seen_at_once(app, world):
    """The memo is never used while a consent is pending in the session, and is forgotten once it
    is written: a withdrawal takes effect within the request that makes it."""
    case = make_case(world.cw_a)
    police = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    consent_and_refer(world.cw_a, case, police)
    with app.test_request_context(), as_user(world.cw_a):
        g.user = world.cw_a
        [consent] = active_consents(case)
        withdraw_consent(world.cw_a, case, db.session.get(Consent, consent.id))  # pending, then flushed
        assert active_consents(case) == []
        assert case_access(world.officer_police, case).allowed is False
        record_consent(world.cw_a, case, fields=["name"], agency_id=world.police.id)
        assert [c.fields for c in active_consents(case)] == [["name"]]
        db.session.rollback()
        assert [c.id for c in active_consents(case)] == [consent.id]  # what the database holds


def _categories_read(sql: list[str]) -> int:
    return sum(1 for s in sql if s.lstrip().upper().startswith("SELECT") and "FROM services" in s)


def test_an_agency_s_kinds_of_service_are_read_once_and_a_new_service_is_seen_at_once(app, world):
    from referral.models import Service
    from referral.policy.fields import active_categories, consent_for

    case = make_case(world.cw_a)
    with app.test_request_context(), as_user(world.cw_a), statements() as sql:
        g.user = world.cw_a
        record_consent(world.cw_a, case, fields=["name"], service_category=ServiceCategory.LEGAL)
        db.session.flush()
        assert consent_for(case, world.police, None) is None  # the police give no legal help
        assert active_categories({world.police.id}) == {world.police.id: {ServiceCategory.POLICE_PROTECTION}}
        assert _categories_read(sql) == 1
        assert active_categories({world.police.id, world.hospital.id})[world.police.id] == {
            ServiceCategory.POLICE_PROTECTION}
        assert _categories_read(sql) == 2  # the hospital alone
        db.session.add(Service(agency_id=world.police.id, category=ServiceCategory.LEGAL, name_ar="x",
                               name_fr="x", name_en="x"))  # pending: the memo is not used
        assert consent_for(case, world.police, None) == frozenset({"name"})
        db.session.rollback()
