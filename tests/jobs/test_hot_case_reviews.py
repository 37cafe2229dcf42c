"""The reminder of hot cases due for review: once per due review, to the governorate's coordinators."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from referral.extensions import db
from referral.jobs.hot_case_reviews import send_review_reminders
from referral.models import HotCase, Notification
from referral.models.vocab import Role
from tests.factories import make_case, make_user
from tests.services.test_hot_cases import decide, flag


def test_a_due_review_is_reminded_once_to_the_governorates_coordinators(world, clock):
    r1_coordinator = make_user("coord.r1", world.network, Role.COORDINATOR, region=world.r1)
    db.session.commit()
    hot = flag(world.cw_a, make_case(world.cw_a), days=7)
    assert send_review_reminders() == 0

    clock.shift(timedelta(days=7, minutes=1))
    assert send_review_reminders() == 1
    assert send_review_reminders() == 0  # once
    reminded = db.session.execute(select(Notification).where(Notification.kind == "hot_case.review_due")).scalars()
    assert [(n.user_id, n.params["hot_case"]) for n in reminded] == [(r1_coordinator.id, hot.number)]

    decide(r1_coordinator, db.session.get(HotCase, hot.id), "review", "Reviewed with the police")
    clock.shift(timedelta(days=7, minutes=1))
    assert send_review_reminders() == 1  # the next review is reminded in its turn
