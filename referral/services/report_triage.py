"""Triage of public reports by the associations covering their region: claim, read, write to the
reporter, open a file, record an anonymous case, alert an authority, close. Every step is audited;
the reporter's stage moves only here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from ..audit.log import record
from ..extensions import db
from ..models import Case, PublicReport, PublicReportMessage, Referral, Service, User
from ..models.base import utcnow
from ..models.vocab import IntakeChannel, ReportOutcome, ReportStatus, ServiceCategory, SharedField, Urgency
from ..policy import Action, require
from ..policy.reports import reports_query
from ..security.blind_index import BlindIndexError
from ..security.keys import app_keys
from ..security.report_crypto import report_cipher, unseal_report
from .cases import open_case
from .consents import record_consent
from .public_reports import ReportInputError, add_message
from .referrals import create_referral

PAGE_SIZE = 50
#: Authorities a report may be passed to.
AUTHORITY_CATEGORIES = (ServiceCategory.POLICE_PROTECTION, ServiceCategory.PROSECUTION)
#: Ways a caseworker closes a report without acting on it.
CLOSE_OUTCOMES = (ReportOutcome.NOT_ACTIONABLE, ReportOutcome.DUPLICATE, ReportOutcome.UNREACHABLE)


def queue(user: User, *, include_closed: bool = False, page: int = 1) -> list[PublicReport]:
    require(user, Action.REPORT_READ)
    query = reports_query(user)
    if not include_closed:
        query = query.where(PublicReport.status != ReportStatus.CLOSED)
    return db.session.execute(query.limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)).scalars().all()


def read_report(user: User, report: PublicReport) -> dict:
    """What the caseworker sees: the clear fields always; what she wrote only once her association
    claimed it (each read audited with the fields decrypted)."""
    decision = require(user, Action.REPORT_READ, report)
    view = {"report": report, "handler": decision.relation == "handler", "secret": None, "messages": []}
    if decision.relation != "handler":
        return view
    cipher = report_cipher(report.id)
    view["secret"] = {name: unseal_report(cipher, "public_reports", name, report.id, getattr(report, f"{name}_ct"))
                      for name in ("contact", "contact_instructions", "narrative")}
    rows = db.session.execute(select(PublicReportMessage).where(PublicReportMessage.report_id == report.id)
                              .order_by(PublicReportMessage.created_at, PublicReportMessage.id)).scalars()
    view["messages"] = [{"direction": m.direction, "at": m.created_at,
                         "text": unseal_report(cipher, "public_report_messages", "body", m.id, m.body_ct)}
                        for m in rows]
    record("report.read", object_type="public_report", object_id=report.id,
           fields=[k for k, v in view["secret"].items() if v] + (["messages"] if view["messages"] else []))
    return view


def _move(report: PublicReport, status: ReportStatus, at: datetime) -> None:
    report.status, report.updated_at = status, at


def claim(user: User, report: PublicReport) -> None:
    require(user, Action.REPORT_HANDLE, report)
    if report.claimed_agency_id is not None:
        raise ReportInputError("report", "already_claimed")
    at = utcnow()
    # One claim wins when two associations press at once: the row is taken only if still free.
    taken = db.session.execute(
        update(PublicReport).where(PublicReport.id == report.id, PublicReport.claimed_agency_id.is_(None))
        .values(claimed_agency_id=user.agency_id, claimed_by_id=user.id, claimed_at=at,
                status=ReportStatus.IN_PROGRESS, updated_at=at)
        .execution_options(synchronize_session=False)).rowcount
    if taken != 1:
        raise ReportInputError("report", "already_claimed")
    report.claimed_agency_id, report.claimed_by_id, report.claimed_at = user.agency_id, user.id, at
    _move(report, ReportStatus.IN_PROGRESS, at)
    record("report.claim", object_type="public_report", object_id=report.id, details={"reference": report.reference})


def _handling(user: User, report: PublicReport) -> None:
    require(user, Action.REPORT_HANDLE, report)
    if report.claimed_agency_id != user.agency_id:
        raise ReportInputError("report", "not_claimed")
    if report.status == ReportStatus.CLOSED:
        raise ReportInputError("report", "closed")


def send_message(user: User, report: PublicReport, text: str) -> None:
    """A message she will read on her status page (the caseworker chooses every word of it)."""
    _handling(user, report)
    message = add_message(report, text, direction="staff", author_id=user.id)
    record("report.message", object_type="public_report", object_id=report.id, fields=["messages"],
           details={"message_id": message.id})


def _identity(report: PublicReport, *, with_contact: bool, with_narrative: bool) -> dict:
    cipher = report_cipher(report.id)

    def secret(name):
        return unseal_report(cipher, "public_reports", name, report.id, getattr(report, f"{name}_ct"))

    identity = {}
    if with_contact and (contact := secret("contact")):
        try:
            app_keys().blind_index.normalize("phone", contact)
            identity["phone"] = contact
        except BlindIndexError:  # an e-mail address or a note: kept with the instructions
            identity["contact_instructions"] = contact
        if instructions := secret("contact_instructions"):
            identity["contact_instructions"] = " — ".join(filter(None, [identity.get("contact_instructions"),
                                                                        instructions]))
    if with_narrative:
        identity["narrative"] = secret("narrative")
    return identity


def _details(report: PublicReport) -> dict:
    return {"region_id": report.region_id, "violence_type": report.violence_type.value,
            "incident_place": report.incident_place.value if report.incident_place else None,
            "incident_date": report.incident_date, "channel": IntakeChannel.OUTREACH}


def _open(user: User, report: PublicReport, identity: dict, outcome: ReportOutcome) -> Case:
    case, _hints = open_case(user, identity, _details(report), anonymous_ok=True)
    report.case_id, report.outcome = case.id, outcome
    return case


def open_file(user: User, report: PublicReport) -> Case:
    """A survivor file from the report: what she wrote and how to reach her move into the file,
    encrypted under the file's key like any identity."""
    _handling(user, report)
    if report.case_id is not None:
        raise ReportInputError("report", "already_has_file")
    case = _open(user, report, _identity(report, with_contact=True, with_narrative=True), ReportOutcome.FILE_OPENED)
    report.updated_at = utcnow()
    record("report.open_file", object_type="public_report", object_id=report.id, case_id=case.id,
           details={"case_number": case.case_number})
    return case


def record_anonymous(user: User, report: PublicReport) -> Case:
    """An anonymous case for the observatory: the statistics fields only, no identity at all."""
    _handling(user, report)
    if report.case_id is not None:
        raise ReportInputError("report", "already_has_file")
    case = _open(user, report, {}, ReportOutcome.ANONYMOUS_CASE)
    at = utcnow()
    report.closed_at = at
    _move(report, ReportStatus.CLOSED, at)
    record("report.anonymous_case", object_type="public_report", object_id=report.id, case_id=case.id,
           details={"case_number": case.case_number})
    return case


def alert_authority(user: User, report: PublicReport, service: Service | None) -> Referral:
    """Pass the report to the police or prosecution: a referral from an anonymous file carrying only
    what she agreed to share; her agreement on the form is recorded as the consent."""
    _handling(user, report)
    if service is None or service.category not in AUTHORITY_CATEGORIES:
        raise ReportInputError("service_id", "unknown_service")
    fields = []
    if report.share_with_authority:
        fields.append(SharedField.NARRATIVE.value)
    if report.authority_may_contact and report.contact_ct is not None:
        fields.append(SharedField.CONTACT.value)
    case = db.session.get(Case, report.case_id) if report.case_id else None
    if case is None:
        identity = _identity(report, with_contact=SharedField.CONTACT.value in fields,
                             with_narrative=SharedField.NARRATIVE.value in fields)
        case = _open(user, report, identity, ReportOutcome.AUTHORITY_ALERTED)
    record_consent(user, case, fields=fields, agency_id=service.agency_id,
                   note=f"public report {report.reference}: the reporter's agreement on the form")
    urgency = Urgency.EMERGENCY if report.danger_now else Urgency.URGENT
    referral = create_referral(user, case, service=service, urgency=urgency, shared_fields=fields)
    at = utcnow()
    report.referral_id, report.outcome = referral.id, ReportOutcome.AUTHORITY_ALERTED
    _move(report, ReportStatus.PASSED_TO_AUTHORITY, at)
    record("report.alert_authority", object_type="public_report", object_id=report.id, case_id=case.id,
           details={"referral": referral.reference, "fields": fields, "agency_id": service.agency_id})
    return referral


def close(user: User, report: PublicReport, outcome: ReportOutcome | str) -> None:
    _handling(user, report)
    try:
        outcome = ReportOutcome(outcome)
    except ValueError:
        raise ReportInputError("outcome", "unknown_value") from None
    if outcome not in CLOSE_OUTCOMES and report.outcome is None:
        raise ReportInputError("outcome", "unknown_value")
    at = utcnow()
    report.outcome = report.outcome or outcome
    report.closed_at = at
    _move(report, ReportStatus.CLOSED, at)
    record("report.close", object_type="public_report", object_id=report.id, details={"outcome": outcome.value})


def authority_services(report: PublicReport) -> list[Service]:
    from .directory import find_services

    found = []
    for category in AUTHORITY_CATEGORIES:
        found += find_services(category=category.value, region_id=report.region_id)
    return found
