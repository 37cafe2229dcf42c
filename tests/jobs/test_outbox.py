"""Email through the outbox, delivered to a real SMTP server (aiosmtpd) that the tests start.

What a survivor would care about: no email ever carries her name, phone, national id or story,
only a reference and a link. What staff care about: a message queued by a transition arrives,
once, even when the mail server was down for a while.
"""

from __future__ import annotations

import email
import socket
from datetime import timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from referral.extensions import db
from referral.jobs.outbox import MAX_ATTEMPTS, deliver_outbox, retry_delay
from referral.models import OutboxEmail, Referral
from referral.models.base import utcnow
from referral.models.vocab import ServiceCategory
from tests.factories import IDENTITY, consent_and_refer, make_case

NARRATIVE = "She was locked in the flat in Sidi Moumen for three days."
MESSAGE = "Call her sister Khadija first, never the house phone."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """A real SMTP server on 127.0.0.1 that keeps what it receives (or refuses it, if asked)."""

    def __init__(self, port: int | None = None, *, refuse_with: str | None = None, **controller_options):
        self.port = port or free_port()
        self.refuse_with = refuse_with
        self.received: list[tuple[list[str], bytes]] = []
        self.logins: list[str] = []
        self._options = controller_options
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's hook name)
        if self.refuse_with:
            # A server that quotes the message back in its error: the outbox must not keep it.
            first_line = envelope.content.decode(errors="replace").splitlines()[-1]
            return f"554 {self.refuse_with}: {first_line}"
        self.received.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

    def start(self) -> SmtpSink:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **self._options)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(raw, policy=policy.default) for _, raw in self.received]


@pytest.fixture
def smtp(app, monkeypatch):
    sink = SmtpSink().start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", sink.port)
    yield sink
    sink.stop()


def survivor_file(world):
    return make_case(world.cw_a, narrative=NARRATIVE)


def refer_to_police(world, case):
    return consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION),
                             fields=("name", "contact", "national_id", "narrative"), message=MESSAGE)


def outbox() -> list[OutboxEmail]:
    db.session.expire_all()
    return db.session.execute(select(OutboxEmail).order_by(OutboxEmail.id)).scalars().all()


def test_a_referral_email_reaches_the_officer_with_a_reference_and_a_link_only(world, smtp, app):
    referral = refer_to_police(world, survivor_file(world))
    [queued] = outbox()
    assert queued.to_address == "police@example.org" and queued.sent_at is None

    report = deliver_outbox()
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [(recipients, raw)] = smtp.received
    assert recipients == ["police@example.org"]
    [message] = smtp.messages()
    subject, body = message["subject"], message.get_content()
    assert referral.reference in subject and referral.reference in body
    assert f"{app.config['BASE_URL'].rstrip('/')}/referrals/{referral.id}" in body
    assert message["from"] == app.config["MAIL_FROM"]
    assert message["message-id"] == f"<masar.outbox-{queued.id}@localhost>"
    secrets = [*IDENTITY.values(), NARRATIVE, MESSAGE, "Sidi Moumen", "Khadija"]
    for value in secrets:
        assert value not in subject and value not in body and value.encode() not in raw, value
    [sent] = outbox()
    assert sent.sent_at is not None and sent.attempts == 1 and sent.last_error is None


def test_the_email_is_in_the_recipients_language(world, smtp):
    world.officer_police.locale = "fr"
    db.session.commit()
    referral = refer_to_police(world, survivor_file(world))
    deliver_outbox()
    [message] = smtp.messages()
    assert message["subject"] == outbox()[0].subject  # non-ASCII subjects survive the trip
    assert referral.reference in message["subject"]


def test_a_sent_email_is_never_sent_again(world, smtp):
    refer_to_police(world, survivor_file(world))
    assert deliver_outbox().sent == 1
    assert deliver_outbox().sent == 0
    assert deliver_outbox(now=utcnow() + timedelta(days=2)).sent == 0
    assert len(smtp.received) == 1


def test_a_server_that_is_down_delays_the_email_until_it_is_back(world, app, monkeypatch):
    port = free_port()  # nothing listens here yet
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    refer_to_police(world, survivor_file(world))
    t0 = utcnow()

    report = deliver_outbox(now=t0)
    assert (report.sent, report.retrying) == (0, 1)
    [row] = outbox()
    assert row.attempts == 1 and row.sent_at is None and row.failed_at is None
    assert row.next_attempt_at == t0 + retry_delay(1) == t0 + timedelta(minutes=1)
    assert row.last_error == "ConnectionRefusedError 111"

    # Before its next turn nothing is tried.
    assert deliver_outbox(now=t0 + timedelta(seconds=30)).retrying == 0
    assert outbox()[0].attempts == 1

    deliver_outbox(now=t0 + timedelta(minutes=1))
    [row] = outbox()
    assert row.attempts == 2 and row.next_attempt_at == t0 + timedelta(minutes=1) + timedelta(minutes=2)

    sink = SmtpSink(port).start()
    try:
        report = deliver_outbox(now=t0 + timedelta(minutes=3))
    finally:
        sink.stop()
    assert report.sent == 1 and len(sink.received) == 1
    [row] = outbox()
    assert row.sent_at == t0 + timedelta(minutes=3) and row.attempts == 3 and row.last_error is None


def test_retries_back_off_exponentially_then_give_up(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    refer_to_police(world, survivor_file(world))
    now = utcnow()
    waits = []
    for _ in range(MAX_ATTEMPTS):
        deliver_outbox(now=now)
        row = outbox()[0]
        if row.failed_at is None:
            waits.append(row.next_attempt_at - now)
            now = row.next_attempt_at
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 64)]
    [row] = outbox()
    assert row.attempts == MAX_ATTEMPTS and row.failed_at == now and row.sent_at is None
    assert deliver_outbox(now=now + timedelta(days=1)).retrying == 0
    assert outbox()[0].attempts == MAX_ATTEMPTS


def test_a_refused_message_leaves_no_trace_of_its_content_in_the_error(world, app, monkeypatch):
    sink = SmtpSink(refuse_with="content rejected").start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", sink.port)
    referral = refer_to_police(world, survivor_file(world))
    try:
        report = deliver_outbox()
    finally:
        sink.stop()
    assert report.retrying == 1 and sink.received == []
    [row] = outbox()
    assert row.last_error == "SMTPDataError 554"
    assert referral.reference not in row.last_error and "Masar" not in row.last_error


def test_the_server_login_is_used_when_configured(world, app, monkeypatch):
    from aiosmtpd.smtp import AuthResult

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) == (b"masar", b"s3cret")
        sink.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    sink = SmtpSink(authenticator=authenticator, auth_require_tls=False).start()
    for key, value in {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": sink.port, "MAIL_USERNAME": "masar",
                       "MAIL_PASSWORD": "s3cret"}.items():
        monkeypatch.setitem(app.config, key, value)
    refer_to_police(world, survivor_file(world))
    try:
        assert deliver_outbox().sent == 1
    finally:
        sink.stop()
    assert sink.logins == ["masar"] and len(sink.received) == 1


def test_a_breach_found_by_the_sweep_is_emailed_without_survivor_data(world, smtp):
    from referral.jobs.sweep import run_sla_sweep

    referral = refer_to_police(world, survivor_file(world))
    deliver_outbox()
    smtp.received.clear()
    run_sla_sweep(now=db.session.get(Referral, referral.id).next_due_at)
    report = deliver_outbox()
    assert report.sent == 2  # the police officer and the referring caseworker
    assert sorted(r for rcpts, _ in smtp.received for r in rcpts) == ["cw.a@example.org", "police@example.org"]
    for message in smtp.messages():
        text = message["subject"] + message.get_content()
        assert referral.reference in text and f"/referrals/{referral.id}" in text
        for value in [*IDENTITY.values(), NARRATIVE, MESSAGE]:
            assert value not in text


def test_many_emails_go_out_in_batches_over_one_connection_each(world, smtp):
    case = survivor_file(world)
    for _ in range(5):
        refer_to_police(world, case)
    report = deliver_outbox(batch_size=2)
    assert report.sent == 5 and len(smtp.received) == 5
    assert len({m["message-id"] for m in smtp.messages()}) == 5
