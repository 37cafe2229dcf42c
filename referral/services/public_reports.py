"""Reports from the public: submitted without an account, read back with a receipt code and a
passphrase, completed later by the reporter.

Nothing here knows the visitor's address: callers pass a short-lived keyed digest of it
(`security.visitors`) for the rate limits. The audit events of these steps carry no address.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from ..audit.log import record
from ..extensions import db
from ..models import LoginThrottle, PublicReport, PublicReportMessage, Region
from ..models.base import utcnow, uuid7
from ..models.vocab import IncidentPlace, ReporterRole, ReportStatus, Role, ViolenceType
from ..notifications import notify, staff_of_agencies
from ..policy.reports import covering_agency_ids
from ..security.passwords import hash_password, verify_password
from ..security.report_crypto import create_report_key, report_cipher, seal_report, unseal_report
from ..security.tokens import token_digest
from .errors import InputError
from .numbers import next_number
from .throttle import claim_slot

#: Crockford's base32 without the letters people confuse (I, L, O, U).
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_CHARS = 12  # 60 bits: found by digest, never guessable in the lookups a limit allows
PASSPHRASE_CHARS = 10  # 50 more bits, behind argon2id
NARRATIVE_MAX = 5000
CONTACT_MAX = 200
ADDITION_MAX = 3000
MESSAGES_MAX = 20  # additions a reporter may make to one report
WINDOW = timedelta(hours=1)
#: Counter keys of the public pages, purged once a day has passed.
KEY_PREFIX = "pub:"


class ReportInputError(InputError):
    """A report's field refused (field, code), like a file's."""


class TooManyAttempts(Exception):
    """A rate limit was reached: nothing is read or stored."""


@dataclass(frozen=True)
class Receipt:
    code: str
    passphrase: str


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalise_code(code: str) -> str:
    """What she typed, as stored: case, spaces, dashes and look-alike letters do not matter."""
    text = (code or "").upper().translate(str.maketrans("ILO", "110"))
    return "".join(c for c in text if c in ALPHABET)[:64]


def _group(text: str) -> str:
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def throttle(kind: str, visitor: str, per_hour: int) -> None:
    """Raise TooManyAttempts once the visitor used up `per_hour` attempts at `kind`."""
    now = utcnow()
    with db.engine.begin() as conn:  # yesterday's digests are useless: forget them
        conn.execute(delete(LoginThrottle).where(LoginThrottle.key.like(KEY_PREFIX + "%"),
                                                 LoginThrottle.window_started_at < now - timedelta(days=1)))
    if not claim_slot(f"{KEY_PREFIX}{kind}:{visitor}", threshold=per_hour, window=WINDOW):
        raise TooManyAttempts


def _clean(value, limit: int, field: str) -> str | None:
    text = (value or "").strip()
    if len(text) > limit:
        raise ReportInputError(field, "too_long")
    if "\x00" in text:
        raise ReportInputError(field, "invalid")
    return text or None


def _checked(data: dict) -> dict:
    """The report's fields, checked before anything is written (the API skips the HTML form)."""
    values = {}
    try:
        values["violence_type"] = ViolenceType(data.get("violence_type"))
        values["reporter_role"] = ReporterRole(data.get("reporter_role"))
        place = data.get("incident_place")
        values["incident_place"] = IncidentPlace(place) if place else None
    except ValueError as exc:
        field = next(f for f in ("violence_type", "reporter_role", "incident_place") if f not in values)
        raise ReportInputError(field, "unknown_value") from exc
    region_id = data.get("region_id")
    if not isinstance(region_id, int) or db.session.get(Region, region_id) is None:
        raise ReportInputError("region_id", "unknown_value")
    values["region_id"] = region_id
    incident_date = data.get("incident_date")
    if incident_date is not None and (not isinstance(incident_date, date) or incident_date > utcnow().date()):
        raise ReportInputError("incident_date", "in_future")
    values["incident_date"] = incident_date
    for flag in ("ongoing", "danger_now", "share_with_authority", "authority_may_contact"):
        values[flag] = bool(data.get(flag))
    values["narrative"] = _clean(data.get("narrative"), NARRATIVE_MAX, "narrative")
    if values["narrative"] is None:
        raise ReportInputError("narrative", "required")
    values["contact"] = _clean(data.get("contact"), CONTACT_MAX, "contact")
    values["contact_instructions"] = _clean(data.get("contact_instructions"), CONTACT_MAX, "contact_instructions")
    return values


def submit_report(data: dict, *, language: str, at: datetime | None = None) -> tuple[PublicReport, Receipt]:
    """Store the report (contact and narrative encrypted under its own key) and hand back the
    receipt; a danger-now report is flagged at once to the caseworkers of the region."""
    values = _checked(data)
    at = at or utcnow()
    receipt = Receipt(_group(_random(RECEIPT_CHARS)), _group(_random(PASSPHRASE_CHARS)))
    secret = {name: values.pop(name) for name in ("contact", "contact_instructions", "narrative")}
    report = PublicReport(id=uuid7(), reference=next_number("report", "SIG", at),
                          receipt_digest=token_digest(normalise_code(receipt.code)),
                          passphrase_hash=hash_password(normalise_code(receipt.passphrase)),
                          status=ReportStatus.RECEIVED, created_at=at, updated_at=at,
                          language=language if language in current_app.config["LANGUAGES"] else "ar",
                          **values)
    cipher = create_report_key(report.id)
    for name, value in secret.items():
        setattr(report, f"{name}_ct", seal_report(cipher, "public_reports", name, report.id, value))
    db.session.add(report)
    record("report.submit", object_type="public_report", object_id=report.id,
           fields=[name for name, value in secret.items() if value],
           details={"reference": report.reference, "danger_now": report.danger_now})
    if report.danger_now:
        _flag_danger(report)
    return report, receipt


def _flag_danger(report: PublicReport) -> None:
    staff = staff_of_agencies(covering_agency_ids(report.region_id), [Role.CASEWORKER])
    notify([user for users in staff.values() for user in users], "report.danger_now",
           params={"reference": report.reference}, path=f"/reports/{report.id}")


def find_report(code: str, passphrase: str) -> PublicReport | None:
    """The report of this receipt, or None. One argon2 verification whether or not the code
    exists, so the answer's timing tells nothing."""
    digest = token_digest(normalise_code(code))
    report = db.session.execute(select(PublicReport).where(PublicReport.receipt_digest == digest)).scalar_one_or_none()
    ok = verify_password(report.passphrase_hash if report else None, normalise_code(passphrase))
    return report if ok and report is not None else None


def status_for_reporter(report: PublicReport) -> dict:
    """What her status page shows: the stage, the messages sent to her, when she added to it."""
    cipher = report_cipher(report.id)
    rows = db.session.execute(select(PublicReportMessage).where(PublicReportMessage.report_id == report.id)
                              .order_by(PublicReportMessage.created_at, PublicReportMessage.id)).scalars().all()
    messages = [{"at": m.created_at,
                 "text": unseal_report(cipher, "public_report_messages", "body", m.id, m.body_ct)}
                for m in rows if m.direction == "staff"]
    record("report.status_read", object_type="public_report", object_id=report.id,
           fields=["messages"] if messages else [])
    return {"status": report.status, "created_at": report.created_at, "updated_at": report.updated_at,
            "messages": messages, "additions": [m.created_at for m in rows if m.direction == "reporter"]}


def add_message(report: PublicReport, text: str, *, direction: str, author_id: int | None = None,
                at: datetime | None = None) -> PublicReportMessage:
    text = _clean(text, ADDITION_MAX, "text")
    if text is None:
        raise ReportInputError("text", "required")
    at = at or utcnow()
    message = PublicReportMessage(report_id=report.id, direction=direction, created_at=at, author_user_id=author_id,
                                  body_ct=b"")
    db.session.add(message)
    db.session.flush([message])
    message.body_ct = seal_report(report_cipher(report.id), "public_report_messages", "body", message.id, text)
    report.updated_at = at
    return message


def add_information(report: PublicReport, text: str) -> None:
    """She adds to her report (a closed one too: the association reads it and may reopen)."""
    count = db.session.execute(select(PublicReportMessage.id).where(
        PublicReportMessage.report_id == report.id, PublicReportMessage.direction == "reporter")).all()
    if len(count) >= MESSAGES_MAX:
        raise ReportInputError("text", "too_many")
    message = add_message(report, text, direction="reporter")
    record("report.add_information", object_type="public_report", object_id=report.id, fields=["messages"],
           details={"message_id": message.id})


def get_report(report_id: uuid.UUID | str) -> PublicReport | None:
    try:
        return db.session.get(PublicReport, uuid.UUID(str(report_id)))
    except ValueError:
        return None
