"""Mail exactly once from the reader's side: a delivered email is not sent again because the write
that records it failed, and the rest of its batch goes out in the same run."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, OperationalError

from referral.extensions import db
from referral.jobs import outbox
from referral.jobs.outbox import MAX_ATTEMPTS, deliver_outbox
from referral.models import AuditEvent, OutboxEmail
from referral.models.base import utcnow
from tests.factories import csrf_token, login
from tests.faults import sqlite_error
from tests.jobs.test_outbox import smtp  # noqa: F401  (the fixture)

READ_ONLY = "attempt to write a readonly database"
RECORD_SENT = "UPDATE email_outbox SET sent_at"


@pytest.fixture(autouse=True)
def _empty_ledger():
    outbox._LEDGER.clear()
    yield
    outbox._LEDGER.clear()


def _queue(count: int) -> list[int]:
    rows = [OutboxEmail(to_address=f"officer{i}@example.org", subject=f"Referral {i}", body="A link only.")
            for i in range(count)]
    db.session.add_all(rows)
    db.session.commit()
    return [row.id for row in rows]


def _sent_ids() -> set[int]:
    db.session.rollback()
    return set(db.session.execute(select(OutboxEmail.id).where(OutboxEmail.sent_at.is_not(None))).scalars())


def test_a_delivery_that_cannot_be_recorded_is_not_sent_again(world, smtp):  # noqa: F811
    ids = _queue(3)
    with sqlite_error(READ_ONLY, writes_only=True, starting=RECORD_SENT) as refused:
        report = deliver_outbox()
    assert len(refused) == 3  # every delivery's record was refused...
    assert report.sent == 3 and len(smtp.received) == 3  # ...and the batch still went out, once each
    assert _sent_ids() == set()
    # The next run records them before claiming anything, and sends nothing again.
    assert deliver_outbox().sent == 0
    assert _sent_ids() == set(ids)
    assert len(smtp.received) == 3
    assert sorted(m["Message-ID"] for m in smtp.messages()) == sorted(
        f"<masar.outbox-{i}@localhost>" for i in ids)


def test_one_refused_record_does_not_hold_back_the_rest_of_the_batch(world, smtp, monkeypatch):  # noqa: F811
    ids = _queue(4)
    refused: list[int] = []
    record = outbox._update

    def refuse_the_first(email_id, values):
        if not refused:
            refused.append(email_id)
            raise OperationalError("UPDATE email_outbox", {}, sqlite3.OperationalError(READ_ONLY))
        record(email_id, values)

    monkeypatch.setattr(outbox, "_update", refuse_the_first)
    report = deliver_outbox()
    assert report.sent == 4 and len(smtp.received) == 4
    assert _sent_ids() == set(ids) - set(refused)  # recorded at once; the refused one waits in the ledger
    assert deliver_outbox().sent == 0
    assert _sent_ids() == set(ids) and len(smtp.received) == 4


def test_while_the_database_still_refuses_nothing_is_claimed_or_sent(world, smtp):  # noqa: F811
    ids = _queue(2)
    with sqlite_error(READ_ONLY, writes_only=True, starting=RECORD_SENT):
        deliver_outbox()
    later = _queue(1)
    with sqlite_error(READ_ONLY, writes_only=True), pytest.raises(DBAPIError, match="readonly"):
        deliver_outbox()
    assert len(smtp.received) == 2  # the newer email waits; the delivered two are not re-sent
    deliver_outbox()
    assert _sent_ids() == set(ids + later)
    assert len(smtp.received) == 3


def _abandon(count: int) -> list[int]:
    ids = _queue(count)
    db.session.execute(update(OutboxEmail).where(OutboxEmail.id.in_(ids))
                       .values(failed_at=utcnow(), attempts=MAX_ATTEMPTS, last_error="SMTPConnectError 421"))
    db.session.commit()
    return ids


def test_the_admin_sees_abandoned_emails_and_queues_them_again_in_one_action(client, world, smtp):  # noqa: F811
    ids = _abandon(2)
    login(client, world.admin)
    page = client.get("/admin/email").get_data(as_text=True)
    assert "officer0@example.org" in page and "SMTPConnectError 421" in page
    response = client.post("/admin/email/requeue", data={"csrf_token": csrf_token(client, "/admin/email")})
    assert response.status_code == 302
    assert deliver_outbox().sent == 2
    assert _sent_ids() == set(ids)
    assert sorted(m["Message-ID"] for m in smtp.messages()) == sorted(f"<masar.outbox-{i}@localhost>" for i in ids)
    [event] = db.session.execute(select(AuditEvent).where(AuditEvent.action == "admin.email_requeue")).scalars()
    assert (event.actor_username, event.details["count"]) == ("admin", 2)


@pytest.mark.parametrize("who", ["cw_a", "officer_police", "coordinator", "auditor"])
def test_no_one_else_sees_or_requeues_them(client, world, who):
    _abandon(1)
    login(client, getattr(world, who))
    assert client.get("/admin/email").status_code == 403
    token = csrf_token(client, "/")
    assert client.post("/admin/email/requeue", data={"csrf_token": token}).status_code == 403
    db.session.rollback()
    assert db.session.execute(select(OutboxEmail.failed_at)).scalar_one() is not None
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "admin.email_requeue")).first() is None
    denied = db.session.execute(select(AuditEvent).where(AuditEvent.action == "access.denied")).scalars().all()
    assert {e.actor_username for e in denied} == {getattr(world, who).username}
