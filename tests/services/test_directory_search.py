"""The directory the caseworker needs (issue 19, parts 4 and 5): services found by need, region,
the language she speaks, the accessibility of the premises and opening now, with free places for
staff; the same search through the API; what the managers type is what is searched."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from referral.extensions import db
from referral.models import AuditEvent, Service
from referral.models.vocab import ServiceCategory
from referral.services import directory_admin
from referral.services.capacity import set_capacity
from referral.services.directory import find_services
from referral.services.errors import InputError
from tests.api.conftest import assert_problem, bearer, token_for
from tests.factories import csrf_token, login

WEDNESDAY_1800_CASABLANCA = datetime(2027, 6, 16, 17, 0, tzinfo=UTC)


@pytest.fixture
def languages_and_access(world):
    world.service(world.assoc_b, ServiceCategory.LEGAL).languages = ["ar", "zgh"]
    world.service(world.police, ServiceCategory.POLICE_PROTECTION).languages = ["fr", "ar"]
    world.police.step_free_access = True
    world.police.sign_language = True
    world.assoc_b.step_free_access = True
    db.session.commit()
    return world


def _codes(services) -> list[str]:
    return sorted(f"{s.agency.code}:{s.category.value}" for s in services)


def test_a_search_by_language_finds_who_speaks_it(languages_and_access):
    assert _codes(find_services(language="zgh")) == ["ASSOC-B:legal"]
    assert _codes(find_services(language="ar")) == ["ASSOC-B:legal", "POLICE:police_protection"]
    assert find_services(language="es") == []


def test_a_search_by_accessibility_needs_every_feature_asked(languages_and_access):
    assert _codes(find_services(accessibility=("step_free_access",))) == [
        "ASSOC-B:legal", "ASSOC-B:shelter", "POLICE:police_protection"]
    assert _codes(find_services(accessibility=("step_free_access", "sign_language"))) == ["POLICE:police_protection"]
    with pytest.raises(ValueError, match="unknown accessibility"):
        find_services(accessibility=("address",))


def test_languages_keep_their_order_and_drop_duplicates(world):
    service = world.service(world.assoc_a, ServiceCategory.PSYCHOSOCIAL)
    service.languages = ["fr", "ar", "fr"]
    db.session.commit()
    assert db.session.get(Service, service.id).languages == ["ar", "fr"]
    service.languages = ["en"]
    db.session.commit()
    assert db.session.get(Service, service.id).languages == ["en"]


def test_an_unknown_language_is_refused_by_the_service_layer(world):
    service = world.service(world.assoc_a, ServiceCategory.PSYCHOSOCIAL)
    with pytest.raises(InputError) as refused:
        directory_admin.save_service(world.coordinator, service, world.assoc_a,
                                     {"category": "psychosocial", "languages": ["klingon"]}, [world.r1.id])
    assert refused.value.field == "languages"


def test_the_directory_page_filters_by_language_accessibility_and_opening(client, languages_and_access):
    world = languages_and_access
    login(client, world.cw_a)
    html = client.get("/directory/?language=zgh").get_data(as_text=True)
    assert world.assoc_b.name("ar") in html and world.police.name("ar") not in html
    html = client.get("/directory/?sign_language=1").get_data(as_text=True)
    assert world.police.name("ar") in html and world.assoc_b.name("ar") not in html
    assert 'name="sign_language" value="1" checked' in html  # the filter stays as she set it


def test_managers_record_languages_and_accessibility_through_the_pages(client, world):
    world.coordinator.locale = "en"
    db.session.commit()
    login(client, world.coordinator)
    service = world.service(world.assoc_a, ServiceCategory.PSYCHOSOCIAL)
    page = f"/directory/services/{service.id}"
    response = client.post(page, data={"csrf_token": csrf_token(client, page), "category": "psychosocial",
                                       "name_ar": service.name_ar, "name_fr": service.name_fr,
                                       "name_en": service.name_en, "regions": [str(world.r1.id)],
                                       "languages": ["ar", "zgh"], "active": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert db.session.get(Service, service.id).languages == ["ar", "zgh"]
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "directory.service_update")
                               .order_by(AuditEvent.id.desc())).scalars().first()
    assert event.details["languages"] == ["ar", "zgh"]

    refused = client.post(page, data={"csrf_token": csrf_token(client, page), "category": "psychosocial",
                                      "name_ar": service.name_ar, "name_fr": service.name_fr,
                                      "name_en": "Typed name kept", "regions": [str(world.r1.id)],
                                      "languages": ["xx"], "active": "y"})
    assert refused.status_code == 422 and "Typed name kept" in refused.get_data(as_text=True)
    assert db.session.get(Service, service.id).languages == ["ar", "zgh"]


def test_the_public_help_page_says_the_languages_and_the_access(client, languages_and_access):
    world = languages_and_access
    html = client.get(f"/library/help?region_id={world.r1.id}&lang=en").get_data(as_text=True)
    police = html[html.index(world.police.name("en")):]
    assert "French" in police[:1500] and "Sign language" in police[:1500]


def test_the_api_searches_as_the_page_does(client, languages_and_access, clock):
    world = languages_and_access
    token = token_for(world.cw_a)
    items = client.get("/api/v1/services?language=zgh", headers=bearer(token)).get_json()["items"]
    assert [i["agency"]["code"] for i in items] == ["ASSOC-B"]
    assert items[0]["languages"] == ["ar", "zgh"]
    items = client.get("/api/v1/services?accessibility=step_free_access&accessibility=sign_language",
                       headers=bearer(token)).get_json()["items"]
    assert [i["agency"]["code"] for i in items] == ["POLICE"]
    assert items[0]["agency"]["accessibility"] == ["step_free_access", "sign_language"]

    clock.move_to(WEDNESDAY_1800_CASABLANCA)  # office hours are over: the 24/7 hospital only
    items = client.get("/api/v1/services?open_now=true", headers=bearer(token)).get_json()["items"]
    assert {i["agency"]["code"] for i in items} == {"HOSPITAL"}
    assert all(i["agency"]["open_now"] for i in items)


def test_the_api_refuses_an_unknown_filter_value_by_name(client, world):
    token = token_for(world.cw_a)
    body = assert_problem(client.get("/api/v1/services?language=klingon", headers=bearer(token)), 422)
    assert "language" in str(body)
    body = assert_problem(client.get("/api/v1/services?accessibility=address", headers=bearer(token)), 422)
    assert "accessibility" in str(body)


def test_free_places_go_to_staff_who_may_see_them_never_to_the_admin(client, world):
    shelter = world.service(world.assoc_b, ServiceCategory.SHELTER)
    set_capacity(world.coordinator, shelter, beds=4, child_places=2, accessible_rooms=1, max_stay_days=90)
    world.assoc_b.address = "Secret street 7"
    db.session.commit()
    for who in ("cw_a", "officer_police", "coordinator"):
        items = client.get("/api/v1/services?category=shelter", headers=bearer(token_for(getattr(world, who))))
        body = items.get_data(as_text=True)
        assert items.get_json()["items"][0]["availability"] == {"beds_free": 4, "child_places_free": 2,
                                                                "accessible_free": 1}, who
        assert "Secret street" not in body
    admin = client.get("/api/v1/services?category=shelter", headers=bearer(token_for(world.admin)))
    assert admin.get_json()["items"][0]["availability"] is None
