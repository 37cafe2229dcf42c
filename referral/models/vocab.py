"""The domain's closed vocabularies. Stored as strings with CHECK constraints; labels in `referral.labels`."""

from __future__ import annotations

import enum

from sqlalchemy import Enum


class Role(enum.StrEnum):
    CASEWORKER = "caseworker"
    OFFICER = "officer"
    COORDINATOR = "coordinator"
    AUDITOR = "auditor"
    ADMIN = "admin"
    #: A caseworker or officer designated to approve account changes in her own agency.
    LEAD = "lead"


class AgencyKind(enum.StrEnum):
    ASSOCIATION = "association"
    PUBLIC_SERVICE = "public_service"
    NETWORK = "network"  # the network's own staff: coordinators, auditors, admins


class ServiceCategory(enum.StrEnum):
    MEDICAL = "medical"
    POST_RAPE_CARE = "post_rape_care"  # clinical deadlines: PEP 72 h, emergency contraception 120 h
    LEGAL = "legal"
    POLICE_PROTECTION = "police_protection"
    PROSECUTION = "prosecution"
    SHELTER = "shelter"
    PSYCHOSOCIAL = "psychosocial"
    SOCIAL = "social"
    ECONOMIC = "economic"


class Urgency(enum.StrEnum):
    EMERGENCY = "emergency"
    URGENT = "urgent"
    STANDARD = "standard"


class ReferralStatus(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DECLINED = "declined"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"
    AWAITING_INFO = "awaiting_info"


OPEN_REFERRAL_STATUSES = (
    ReferralStatus.SENT,
    ReferralStatus.ACKNOWLEDGED,
    ReferralStatus.ACCEPTED,
    ReferralStatus.IN_PROGRESS,
    ReferralStatus.AWAITING_INFO,
)


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ViolenceType(enum.StrEnum):
    """The six core GBVIMS types."""

    RAPE = "rape"
    SEXUAL_ASSAULT = "sexual_assault"
    PHYSICAL_ASSAULT = "physical_assault"
    FORCED_MARRIAGE = "forced_marriage"
    DENIAL_OF_RESOURCES = "denial_of_resources"
    PSYCHOLOGICAL_ABUSE = "psychological_abuse"


class ViolenceFlag(enum.StrEnum):
    """Local categories of national law, kept beside the GBVIMS type."""

    ECONOMIC = "economic"
    DIGITAL = "digital"


class PerpetratorRelationship(enum.StrEnum):
    INTIMATE_PARTNER = "intimate_partner"
    FORMER_PARTNER = "former_partner"
    FAMILY_MEMBER = "family_member"
    ACQUAINTANCE = "acquaintance"
    EMPLOYER = "employer"
    STRANGER = "stranger"
    UNKNOWN = "unknown"


class AgeBand(enum.StrEnum):
    UNDER_12 = "0-11"
    TEEN = "12-17"
    YOUNG_ADULT = "18-25"
    ADULT = "26-40"
    MIDDLE = "41-60"
    SENIOR = "60+"


class IncidentPlace(enum.StrEnum):
    HOME = "home"
    PUBLIC_SPACE = "public_space"
    WORKPLACE = "workplace"
    SCHOOL = "school"
    ONLINE = "online"
    OTHER = "other"


class RiskLevel(enum.StrEnum):
    STANDARD = "standard"
    MEDIUM = "medium"
    HIGH = "high"


class IntakeChannel(enum.StrEnum):
    WALK_IN = "walk_in"
    HOTLINE_REPORT = "hotline_report"  # a call reporting violence
    HOTLINE_SUPPORT = "hotline_support"  # a call asking for support or orientation
    REFERRED_IN = "referred_in"
    OUTREACH = "outreach"


class SharedField(enum.StrEnum):
    """Groups of survivor data a consent can cover and a referral can carry."""

    NAME = "name"
    CONTACT = "contact"  # phone and address
    NATIONAL_ID = "national_id"
    DATE_OF_BIRTH = "date_of_birth"
    NARRATIVE = "narrative"
    RISK_ASSESSMENT = "risk_assessment"


class StatisticsConsent(enum.StrEnum):
    """The GBVIMS data-sharing protocol's "consent for reporting": may the file's non-identifying
    facts count in the observatory's statistics? No answer (NULL) means she was not asked yet."""

    YES = "yes"
    NO = "no"


class ClosureReason(enum.StrEnum):
    NEEDS_MET = "needs_met"
    SURVIVOR_WITHDREW = "survivor_withdrew"
    LOST_CONTACT = "lost_contact"
    TRANSFERRED = "transferred"
    DUPLICATE = "duplicate"
    OTHER = "other"


class DeclineReason(enum.StrEnum):
    OUT_OF_SCOPE = "out_of_scope"
    NO_CAPACITY = "no_capacity"
    OUTSIDE_AREA = "outside_area"
    INSUFFICIENT_INFORMATION = "insufficient_information"
    SURVIVOR_UNREACHABLE = "survivor_unreachable"
    OTHER = "other"


class SlaClock(enum.StrEnum):
    BUSINESS = "business"
    WALL = "wall"


class TimerKind(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"
    DECIDE = "decide"
    FIRST_ACTION = "first_action"
    COMPLETE = "complete"
    CLINICAL_PEP = "clinical_pep"  # HIV post-exposure prophylaxis: 72 h after the assault
    CLINICAL_EC = "clinical_ec"  # emergency contraception: 120 h after the assault


class AccountChange(enum.StrEnum):
    """Account changes an administrator asks for and a lead of the agency must approve."""

    CREATE = "create"
    ENABLE = "enable"
    RESET_PASSWORD = "reset_password"  # noqa: S105 (a kind of change, not a password)
    RESET_SECOND_FACTOR = "reset_second_factor"
    GRANT_LEAD = "grant_lead"


class ApprovalStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    CANCELLED = "cancelled"  # by an administrator, or superseded (the account was disabled)
    EXPIRED = "expired"


class AuditOutcome(enum.StrEnum):
    SUCCESS = "success"
    DENIED = "denied"
    FAILURE = "failure"


def plain_value(value):
    """A vocabulary member's stored string (the value itself if it is already plain, or None)."""
    return getattr(value, "value", value)


def enum_column(enum_cls: type[enum.StrEnum], name: str) -> Enum:
    """A VARCHAR with a CHECK constraint: portable, and Alembic sees every value change."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls) + 8,
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


class ReportStatus(enum.StrEnum):
    """The plain-language stages the reporter sees on her status page."""

    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    PASSED_TO_AUTHORITY = "passed_to_authority"
    CLOSED = "closed"


class ReporterRole(enum.StrEnum):
    CONCERNED = "concerned"  # the woman it happened to
    WITNESS = "witness"


class ReportOutcome(enum.StrEnum):
    """What the association did with a report, beside its stage."""

    FILE_OPENED = "file_opened"
    ANONYMOUS_CASE = "anonymous_case"
    AUTHORITY_ALERTED = "authority_alerted"
    NOT_ACTIONABLE = "not_actionable"
    DUPLICATE = "duplicate"
    UNREACHABLE = "unreachable"


class StayStatus(enum.StrEnum):
    IN_SHELTER = "in_shelter"
    EXITED = "exited"


class ExitDestination(enum.StrEnum):
    """Where she went on leaving the shelter: a category, never an address."""

    OWN_HOME = "own_home"
    FAMILY = "family"
    INDEPENDENT_HOUSING = "independent_housing"
    ANOTHER_SHELTER = "another_shelter"
    RETURNED_TO_PARTNER = "returned_to_partner"
    UNKNOWN = "unknown"


class ExitOutcome(enum.StrEnum):
    GOALS_MET = "goals_met"
    PARTLY_MET = "partly_met"
    LEFT_EARLY = "left_early"
    TRANSFERRED = "transferred"
