"""Sending mail through SMTP (standard library only), with errors described without their content.

Emails never carry survivor data (see referral.notifications), but error texts from a server can
echo addresses or lines of the message; what we keep of a failure is its type and SMTP code.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

#: Seconds to wait for the SMTP server at each step: a dead server must not hold a job for long.
SMTP_TIMEOUT = 20


@dataclass(frozen=True)
class MailSettings:
    server: str
    port: int
    username: str | None
    password: str | None
    use_starttls: bool
    sender: str

    @classmethod
    def from_config(cls, config) -> MailSettings:
        return cls(server=config["MAIL_SERVER"], port=int(config["MAIL_PORT"]), username=config.get("MAIL_USERNAME"),
                   password=config.get("MAIL_PASSWORD"), use_starttls=bool(config.get("MAIL_USE_STARTTLS")),
                   sender=config["MAIL_FROM"])


class MailError(Exception):
    """Delivery failed; ``str()`` is safe to store and log (type and SMTP code only)."""

    def __init__(self, exc: BaseException):
        super().__init__(describe_error(exc))


def describe_error(exc: BaseException) -> str:
    code = getattr(exc, "smtp_code", None) or getattr(exc, "errno", None)
    return type(exc).__name__ + (f" {code}" if code else "")


def build_message(*, sender: str, to: str, subject: str, body: str, message_id: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    if message_id:
        message["Message-ID"] = message_id
    message.set_content(body)  # UTF-8; Arabic and French text survive any relay
    return message


def message_id(key: str, sender: str) -> str:
    """A stable Message-ID: a re-sent copy (after a crash between sending and recording it) is
    recognisably the same email to the receiving side."""
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<masar.{key}@{domain}>"


class SmtpConnection:
    def __init__(self, client: smtplib.SMTP):
        self._client = client

    def send(self, message: EmailMessage) -> None:
        try:
            self._client.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(exc) from None


@contextmanager
def smtp_connection(settings: MailSettings) -> Iterator[SmtpConnection]:
    """An open, authenticated SMTP session; MailError if the server cannot be reached."""
    try:
        client = smtplib.SMTP(settings.server, settings.port, timeout=SMTP_TIMEOUT)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(exc) from None
    try:
        try:
            client.ehlo()
            if settings.use_starttls:
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if settings.username:
                client.login(settings.username, settings.password or "")
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(exc) from None
        yield SmtpConnection(client)
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()
