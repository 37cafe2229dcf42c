"""Sending a referral that came back to another service: the new one supersedes it, once, and only a
referral of the same file that came back can be replaced."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from referral.extensions import db
from referral.models import Referral
from referral.models.vocab import ServiceCategory as C
from referral.services.errors import InputError
from referral.services.referrals import create_referral
from referral.workflows.engine import fire
from tests.factories import as_user, consent_and_refer, csrf_token, login, make_case


def _declined(world, case=None):
    case = case or make_case(world.cw_a)
    referral = consent_and_refer(world.cw_a, case, world.service(world.assoc_b, C.LEGAL), urgency="standard")
    with as_user(world.cw_b):
        fire(referral, "decline", world.cw_b, reason="no_capacity")
    db.session.commit()
    return case, referral


def _count() -> int:
    return db.session.execute(select(func.count()).select_from(Referral)).scalar_one()


def _send_elsewhere(client, world, case, replaced):
    path = f"/referrals/new/{case.id}?replaces={replaced.id}"
    return client.post(path, data={
        "service_id": str(world.service(world.police, C.POLICE_PROTECTION).id), "urgency": "urgent",
        "shared_fields": ["name"], "record_consent": "y", "csrf_token": csrf_token(client, path)})


def test_sending_it_elsewhere_supersedes_it_and_a_second_attempt_changes_nothing(client, world):
    case, declined = _declined(world)
    login(client, world.cw_a)
    assert _send_elsewhere(client, world, case, declined).status_code == 302
    db.session.expire_all()
    new_id = db.session.get(Referral, declined.id).superseded_by_id
    assert new_id is not None and db.session.get(Referral, new_id).to_agency_id == world.police.id
    assert declined.reference not in client.get("/referrals/outbox?tab=back").get_data(as_text=True)

    before = _count()
    again = _send_elsewhere(client, world, case, declined)
    assert again.status_code == 422
    assert "سبق توجيه هذه الإحالة إلى جهة أخرى" in again.get_data(as_text=True)  # already sent elsewhere
    db.session.expire_all()
    assert _count() == before and db.session.get(Referral, declined.id).superseded_by_id == new_id


def test_only_a_referral_that_came_back_of_the_same_file_can_be_replaced(world):
    case, declined = _declined(world)
    police = world.service(world.police, C.POLICE_PROTECTION)
    open_one = consent_and_refer(world.cw_a, case, police)
    other_case = make_case(world.cw_a)
    before = _count()
    for target, replaced, code in ((case, open_one, "not_bounced"), (other_case, declined, "unknown_referral")):
        with as_user(world.cw_a), pytest.raises(InputError) as refused:
            create_referral(world.cw_a, target, service=world.service(world.hospital, C.MEDICAL),
                            urgency="urgent", shared_fields=["name"], replaces=replaced)
        assert (refused.value.field, refused.value.code) == ("replaces", code)
        db.session.rollback()
    assert _count() == before
    assert db.session.get(Referral, declined.id).superseded_by_id is None
