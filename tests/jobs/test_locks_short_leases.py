"""Short leases with heartbeats: a killed scheduler delays the work by about a minute (a sweep
interval for its lease, two minutes for the emails it had claimed), and a live one keeps its
claim however long its batch takes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from referral.extensions import db
from referral.jobs import outbox
from referral.jobs.locks import is_postgresql
from referral.jobs.outbox import CLAIM, deliver_outbox
from referral.jobs.sweep import run_sla_sweep
from referral.models import JobLock, OutboxEmail
from referral.models.base import utcnow
from referral.services import mailer
from tests.jobs.test_locks import overdue_referrals
from tests.jobs.test_outbox import smtp  # noqa: F401  (the fixture)
from tests.jobs.test_outbox_exactly_once import _queue, _sent_ids


def test_a_sweep_lease_left_by_a_killed_scheduler_a_minute_ago_is_taken_over(world):
    overdue_referrals(world, 1)
    db.session.add(JobLock(name="sla_sweep", holder="killed-node:7",
                           last_started_at=utcnow() - timedelta(seconds=61)))
    db.session.commit()
    report = run_sla_sweep()
    assert not report.skipped and report.breaches == 3


def test_a_lease_renewed_half_a_minute_ago_is_still_respected(world):
    if is_postgresql():
        pytest.skip("PostgreSQL's advisory lock ends with its holder's connection: no lease to wait for")
    overdue_referrals(world, 1)
    db.session.add(JobLock(name="sla_sweep", holder="live-node:8", last_started_at=utcnow() - timedelta(seconds=30)))
    db.session.commit()
    assert run_sla_sweep().skipped


def test_emails_claimed_by_a_killed_scheduler_go_out_two_minutes_later(world, smtp):  # noqa: F811
    ids = _queue(2)
    t0 = utcnow()
    outbox._claim(t0, 20)  # claimed, then the process was killed before sending
    db.session.commit()
    assert deliver_outbox(now=t0 + timedelta(minutes=1)).sent == 0
    assert deliver_outbox(now=t0 + CLAIM + timedelta(seconds=1)).sent == 2
    assert _sent_ids() == set(ids) and len(smtp.received) == 2


def test_a_slow_batch_keeps_its_claim_alive(world, smtp, clock, monkeypatch):  # noqa: F811
    _queue(4)
    send = mailer.SmtpConnection.send
    claimable_while_sending = []

    def slow_send(connection, message):
        # What another scheduler would find due at this moment: nothing of this batch.
        with db.engine.connect() as other:
            claimable_while_sending.append(other.execute(
                select(func.count()).select_from(OutboxEmail)
                .where(OutboxEmail.sent_at.is_(None), OutboxEmail.next_attempt_at <= utcnow())).scalar_one())
        send(connection, message)
        clock.shift(timedelta(seconds=50))  # each email takes most of a minute

    monkeypatch.setattr(mailer.SmtpConnection, "send", slow_send)
    assert deliver_outbox().sent == 4  # 200 s in all, well past one claim of 120 s
    assert claimable_while_sending == [0, 0, 0, 0]
    assert len(smtp.received) == 4
