"""Shelter places and stays under the Himaya protocol: capacity moves with admissions and exits,
the two-person rule on extensions, what the sender reads, overdue essential services, the race for
the last bed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from referral.extensions import db
from referral.models import AuditEvent, Notification, Referral, ShelterCapacity, Stay, StayServiceDue
from referral.models.base import utcnow
from referral.models.vocab import Role, ServiceCategory
from referral.policy import PermissionDenied
from referral.services import capacity as places
from referral.services import stays
from referral.services.errors import InputError
from referral.workflows import engine
from tests.factories import as_user, consent_and_refer, csrf_token, login, make_agency, make_case, make_user, race


def _shelter(world, beds=2, children=2, accessible=1):
    service = world.service(world.assoc_b, ServiceCategory.SHELTER)
    db.session.add(ShelterCapacity(service_id=service.id, beds=beds, child_places=children,
                                   accessible_rooms=accessible, max_stay_days=30))
    db.session.commit()
    return service


def _accepted(world, service, fields=("name", "contact")):
    case = make_case(world.cw_a)
    referral = consent_and_refer(world.cw_a, case, service, fields=fields)
    with as_user(world.cw_b):
        engine.fire(db.session.get(Referral, referral.id), "accept", world.cw_b)
        db.session.commit()
    return db.session.get(Referral, referral.id)


def _admit(world, referral, children=2, user=None):
    user = user or world.cw_b
    with as_user(user):
        stay = stays.admit(user, referral, admitted_on=utcnow().date(), children=children)
        db.session.commit()
    return stay


def _capacity(service) -> ShelterCapacity:
    db.session.expire_all()
    return db.session.get(ShelterCapacity, places.capacities([service.id])[service.id].id)


def test_admission_and_exit_move_the_places_and_start_care(world):
    service = _shelter(world)
    referral = _accepted(world, service)
    stay = _admit(world, referral)
    cap = _capacity(service)
    assert (cap.beds_free, cap.child_places_free) == (1, 0)
    assert db.session.get(Referral, referral.id).status == "in_progress"
    # Reception and safety plan due at once; schooling because children came with her.
    assert {d.code for d in db.session.get(Stay, stay.id).dues} >= {"reception_listening", "children_schooling"}
    with as_user(world.cw_b):
        stays.exit_stay(world.cw_b, db.session.get(Stay, stay.id), exited_on=utcnow().date(), destination="family",
                        outcome="goals_met")
        db.session.commit()
    cap = _capacity(service)
    assert (cap.beds_free, cap.child_places_free) == (2, 2)
    assert db.session.query(AuditEvent).filter_by(action="stay.exit").count() == 1


def test_no_admission_beyond_the_places(world):
    service = _shelter(world, beds=1, children=1)
    referral = _accepted(world, service)
    with as_user(world.cw_b), pytest.raises(InputError) as refused:
        stays.admit(world.cw_b, referral, admitted_on=utcnow().date(), children=2)
    assert refused.value.code == "no_child_place"
    db.session.rollback()
    _admit(world, referral, children=1)
    other = _accepted(world, service)
    with as_user(world.cw_b), pytest.raises(InputError) as refused:
        stays.admit(world.cw_b, other, admitted_on=utcnow().date())
    assert refused.value.code == "no_bed"


def test_only_the_shelter_admits(world):
    service = _shelter(world)
    referral = _accepted(world, service)
    with as_user(world.cw_a), pytest.raises(PermissionDenied):
        stays.admit(world.cw_a, referral, admitted_on=utcnow().date())


def test_an_extension_needs_a_second_person(world):
    service = _shelter(world)
    second = make_user("officer.b", world.assoc_b, Role.OFFICER)
    db.session.commit()
    stay = _admit(world, _accepted(world, service))
    ends = stay.ends_on
    with as_user(world.cw_b):
        extension = stays.request_extension(world.cw_b, stay, days=15)
        db.session.commit()
        with pytest.raises(PermissionDenied):
            stays.decide_extension(world.cw_b, extension, approve=True)
    db.session.rollback()
    with as_user(second):
        stays.decide_extension(second, extension, approve=True)
        db.session.commit()
        with pytest.raises(InputError):
            stays.decide_extension(second, extension, approve=False)  # decided once
    db.session.rollback()
    assert db.session.get(Stay, stay.id).ends_on == ends + timedelta(days=15)
    assert Notification.query.filter_by(user_id=second.id, kind="stay.extension_requested").count() == 1


def test_the_sender_follows_the_stay_within_consent(client, world):
    from referral.services.consents import withdraw_consent

    service = _shelter(world)
    referral = _accepted(world, service, fields=("name",))
    stay = _admit(world, referral)
    with as_user(world.cw_b):
        stays.record_service(world.cw_b, stay, code="reception_listening", given_on=utcnow().date())
        stays.exit_stay(world.cw_b, stay, exited_on=utcnow().date(), destination="returned_to_partner",
                        outcome="left_early")
        db.session.commit()
    view = stays.sender_view(db.session.get(Stay, stay.id))
    assert view.within_consent and [code.code for code, _day in view.given] == ["reception_listening"]
    assert view.exit_destination is None  # her consent does not cover her whereabouts
    login(client, world.cw_a)
    page = client.get(f"/stays/{stay.id}").get_data(as_text=True)
    assert "الاستقبال والإنصات" in page and "Cw.B" not in page
    from referral.models import Case, Consent

    case = db.session.get(Case, referral.case_id)
    consent = db.session.query(Consent).filter_by(case_id=case.id).one()
    with as_user(world.cw_a):
        withdraw_consent(world.cw_a, case, consent)
        db.session.commit()
    view = stays.sender_view(db.session.get(Stay, stay.id))
    assert not view.within_consent and view.given == []


@pytest.mark.parametrize("who", ["officer_police", "coordinator", "admin"])
def test_outsiders_do_not_find_the_stay(client, world, who):
    stay = _admit(world, _accepted(world, _shelter(world)))
    login(client, getattr(world, who))
    assert client.get(f"/stays/{stay.id}").status_code == 404
    assert client.post(f"/stays/{stay.id}/exit", data={"csrf_token": csrf_token(client, "/")}).status_code == 404
    assert db.session.query(AuditEvent).filter_by(action="access.denied").count() == 2


def test_overdue_essential_services_alert_once(world):
    from referral.jobs.stay_sweep import run_stay_sweep

    stay = _admit(world, _accepted(world, _shelter(world)))
    report = run_stay_sweep(now=utcnow() + timedelta(days=3))
    assert report.overdue == 2  # reception (1 day) and safety plan (2 days)
    assert run_stay_sweep(now=utcnow() + timedelta(days=3)).overdue == 0
    assert db.session.query(AuditEvent).filter_by(action="stay.service_overdue").count() == 2
    assert Notification.query.filter_by(user_id=world.cw_b.id, kind="stay.service_overdue").count() == 1
    assert db.session.query(StayServiceDue).filter_by(stay_id=stay.id, alerted_at=None).count() > 0


def test_availability_is_for_staff_and_a_full_shelter_proposes_the_nearest(client, world):
    full = _shelter(world, beds=0, children=0, accessible=0)
    near = make_agency("SHELTER-R1", region=world.r1, categories=[ServiceCategory.SHELTER])
    far = make_agency("SHELTER-R2", region=world.r2, categories=[ServiceCategory.SHELTER])
    for agency, beds in ((near, 1), (far, 5)):
        db.session.add(ShelterCapacity(service_id=agency.services[0].id, beds=beds, child_places=0,
                                       accessible_rooms=0))
    db.session.commit()
    assert [s.agency.code for s in places.nearest_with_room(full)] == ["SHELTER-R1", "SHELTER-R2"]
    case = make_case(world.cw_a)
    world.cw_a.locale = "en"
    db.session.commit()
    login(client, world.cw_a)
    page = client.get(f"/referrals/new/{case.id}?need=shelter").get_data(as_text=True)
    assert "Full" in page and "1 bed free" in page
    response = client.post(f"/referrals/new/{case.id}", data={
        "csrf_token": csrf_token(client, f"/referrals/new/{case.id}"), "need": "shelter", "service_id": str(full.id),
        "urgency": "emergency", "shared_fields": ["name"], "record_consent": "y"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "SHELTER-R1 en" in text and text.index("SHELTER-R1 en") < text.index("SHELTER-R2 en")
    assert db.session.query(Referral).count() == 0
    assert client.get("/directory/?category=shelter").get_data(as_text=True).count("beds free") >= 1
    client.cookie_jar.clear() if hasattr(client, "cookie_jar") else client._cookies.clear()
    assert client.get("/directory/?category=shelter").status_code in (302, 401, 404)


def test_occupancy_for_coordinators(client, world):
    _admit(world, _accepted(world, _shelter(world)))
    login(client, world.coordinator)
    page = client.get("/stays/occupancy").get_data(as_text=True)
    assert "1 / 2" in page

def test_occupancy_is_not_for_caseworkers(client, world):
    login(client, world.cw_a)
    assert client.get("/stays/occupancy").status_code == 403


@pytest.mark.postgres
@pytest.mark.slow
def test_two_admissions_into_the_last_bed_one_wins(app, world):
    service = _shelter(world, beds=1, children=0)
    first, second = _accepted(world, service), _accepted(world, service)
    user_id = world.cw_b.id

    def admit(referral_id):
        def run():
            with app.app_context():
                from referral.models import User

                user = db.session.get(User, user_id)
                try:
                    with as_user(user):
                        stays.admit(user, db.session.get(Referral, referral_id), admitted_on=utcnow().date())
                        db.session.commit()
                    return "won"
                except InputError as exc:
                    db.session.rollback()
                    return exc.code
        return run

    results = race([admit(first.id), admit(second.id)])
    assert sorted(results) == ["no_bed", "won"]
    assert _capacity(service).beds_used == 1
    assert db.session.query(Stay).count() == 1
