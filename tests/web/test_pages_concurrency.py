"""Two people acting on one referral at the same moment cannot both win (real PostgreSQL)."""

from __future__ import annotations

import pytest

from referral.extensions import db
from referral.models import Referral, ReferralEvent
from referral.models.vocab import Role, ServiceCategory
from tests.factories import consent_and_refer, csrf_token, login, make_case, make_user, race

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_two_officers_accepting_through_the_pages(app, client, other_client, world):
    second = make_user("officer.police.2", world.police, Role.OFFICER)
    db.session.commit()
    case = make_case(world.cw_a)
    referral = consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    version = referral.version
    login(client, world.officer_police)
    login(other_client, second)
    data = [{"action": "accept", "version": str(version), "csrf_token": csrf_token(c, "/")}
            for c in (client, other_client)]
    url = f"/referrals/{referral.id}/transition"
    statuses = race([lambda: client.post(url, data=data[0]).status_code,
                      lambda: other_client.post(url, data=data[1]).status_code])
    assert sorted(statuses) == [302, 409]
    db.session.expire_all()
    events = db.session.execute(db.select(ReferralEvent).where(ReferralEvent.referral_id == referral.id,
                                                               ReferralEvent.action == "accept")).scalars().all()
    assert len(events) == 1
    assert db.session.get(Referral, referral.id).version == version + 1


def test_engine_without_version_still_lets_one_win(app, world):
    from referral.workflows import engine

    case = make_case(world.cw_a)
    referral = consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    officer_id, referral_id = world.officer_police.id, referral.id

    def accept():
        with app.app_context():
            from referral.models import User

            user = db.session.get(User, officer_id)
            target = db.session.get(Referral, referral_id)
            try:
                engine.fire(target, "accept", user)
                db.session.commit()
                return "won"
            except engine.WorkflowError as exc:
                db.session.rollback()
                return exc.code

    results = race([accept, accept, accept])
    assert results.count("won") == 1
    assert set(results) - {"won"} <= {"invalid_transition", "concurrent_update"}


def test_closing_a_file_while_its_recipient_completes_the_referral(app, client, other_client, world):
    case = make_case(world.cw_a)
    referral = consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    from referral.workflows import engine
    from tests.factories import as_user

    with as_user(world.officer_police):
        for action in ("accept", "start"):
            engine.fire(db.session.get(Referral, referral.id), action, world.officer_police)
        db.session.commit()
    version = db.session.get(Referral, referral.id).version
    login(client, world.cw_a)
    login(other_client, world.officer_police)
    close = {"reason": "survivor_withdrew", "csrf_token": csrf_token(client, "/")}
    complete = {"action": "complete", "version": str(version), "message": "Done.",
                "csrf_token": csrf_token(other_client, "/")}
    case_id, referral_id = case.id, referral.id  # the threads have no app context to reload them
    statuses = race([lambda: client.post(f"/cases/{case_id}/close", data=close).status_code,
                      lambda: other_client.post(f"/referrals/{referral_id}/transition", data=complete).status_code])
    # The file always closes; the referral ends either withdrawn or completed, never both.
    assert statuses[0] == 302 and statuses[1] in (302, 409)
    db.session.expire_all()
    final = db.session.get(Referral, referral_id)
    assert final.status.value == ("completed" if statuses[1] == 302 else "withdrawn")
    assert db.session.get(type(case), case_id).status.value == "closed"
    endings = db.session.execute(db.select(ReferralEvent).where(
        ReferralEvent.referral_id == referral_id, ReferralEvent.action.in_(["complete", "withdraw"]))).scalars().all()
    assert len(endings) == 1
