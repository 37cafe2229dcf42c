"""Translated labels for the domain's vocabularies, for pages, emails and exports."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS = {
    # Roles
    "caseworker": _l("Caseworker"),
    "officer": _l("Officer"),
    "coordinator": _l("Coordinator"),
    "auditor": _l("Auditor"),
    "admin": _l("Administrator"),
    # Referral statuses
    "draft": _l("Draft"),
    "sent": _l("Sent"),
    "acknowledged": _l("Acknowledged"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "awaiting_info": _l("Awaiting information"),
    "in_progress": _l("In progress"),
    "completed": _l("Completed"),
    "returned": _l("Returned"),
    "withdrawn": _l("Withdrawn"),
    # Urgency
    "emergency": _l("Emergency"),
    "urgent": _l("Urgent"),
    "standard": _l("Standard"),
    # Case status
    "open": _l("Open"),
    "closed": _l("Closed"),
    # Service categories
    "medical": _l("Medical care"),
    "post_rape_care": _l("Post-rape medical care"),
    "legal": _l("Legal aid"),
    "police_protection": _l("Police protection"),
    "prosecution": _l("Public prosecution"),
    "shelter": _l("Shelter"),
    "psychosocial": _l("Psychosocial support"),
    "social": _l("Social services"),
    "economic": _l("Economic empowerment"),
    # Agency kinds
    "association": _l("Association"),
    "public_service": _l("Public service"),
    "network": _l("Network"),
    # Violence types (GBVIMS) and flags
    "rape": _l("Rape"),
    "sexual_assault": _l("Sexual assault"),
    "physical_assault": _l("Physical assault"),
    "forced_marriage": _l("Forced marriage"),
    "denial_of_resources": _l("Denial of resources, opportunities or services"),
    "psychological_abuse": _l("Psychological or emotional abuse"),
    "flag_economic": _l("Economic violence"),
    "flag_digital": _l("Digital violence"),
    # Risk levels
    "risk_standard": _l("Standard risk"),
    "risk_medium": _l("Medium risk"),
    "risk_high": _l("High risk"),
    # Shared field groups
    "name": _l("Name"),
    "contact": _l("Phone, address and safe contact instructions"),
    "national_id": _l("National ID number"),
    "date_of_birth": _l("Date of birth"),
    "narrative": _l("Account of the violence"),
    "risk_assessment": _l("Risk assessment"),
}


def label(value, prefix: str = "") -> str:
    """The translated label of a vocabulary value; the value itself if none is defined."""
    if value is None:
        return ""
    key = getattr(value, "value", value)
    return str(LABELS.get(f"{prefix}{key}", LABELS.get(key, key)))
