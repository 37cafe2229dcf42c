"""The hotline's quick intakes: a file and its first referral in one step, all or nothing."""

from __future__ import annotations

from ..models import Case, Referral, Service, User
from ..models.vocab import IntakeChannel, SharedField, Urgency
from .cases import open_case
from .consents import record_consent
from .errors import InputError
from .referrals import create_referral

#: Services a report of violence goes to, at once and as an emergency.
REPORT_CATEGORIES = ("police_protection", "prosecution")
HOTLINE_FIELDS = [SharedField.NAME.value, SharedField.CONTACT.value, SharedField.NARRATIVE.value]


def take_call(user: User, *, channel: IntakeChannel, identity: dict, details: dict, service: Service,
              consent: bool, need_check: tuple[str, ...] | None = None) -> tuple[Case, Referral, list]:
    """Open the file, record the consent she gave on the phone, and send the referral.

    A report of violence is an emergency referral to police, gendarmerie or prosecution; a request
    for support is a standard one. Without her consent the referral carries no identity.
    """
    if service is None:
        raise InputError("service_id", "unknown_service")
    if need_check is not None and service.category not in need_check:
        raise InputError("service_id", "unknown_service")
    identity = dict(identity)
    if not identity.get("full_name"):
        identity["full_name"] = None
    case, duplicates = open_case(user, identity, details | {"channel": channel}, anonymous_ok=True)
    fields = [f for f in HOTLINE_FIELDS if consent and _has(identity, f)]
    record_consent(user, case, fields=fields, agency_id=service.agency_id,
                   note="hotline: consent given by phone" if consent else "hotline: referral without identity")
    urgency = Urgency.EMERGENCY if channel == IntakeChannel.HOTLINE_REPORT else Urgency.STANDARD
    referral = create_referral(user, case, service=service, urgency=urgency, shared_fields=fields)
    return case, referral, duplicates


def _has(identity: dict, group: str) -> bool:
    columns = {"name": ("full_name",), "contact": ("phone", "address", "contact_instructions"),
               "narrative": ("narrative",)}[group]
    return any(identity.get(c) for c in columns)
