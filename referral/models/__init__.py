"""The data model: one module per feature. Importing this package registers every table."""

from .agency import Agency, Counter, Holiday, Region
from .approval import AccountApproval, CaseworkApproval, CaseworkStep
from .audit import AuditChainHead, AuditCheckpoint, AuditEvent
from .case import Case, CaseBlindIndex, CaseEvent, CaseKey
from .consent import Consent
from .health import ReadinessProbe
from .hot_case import HotCase, HotCaseDecision
from .library import LibraryItem
from .note import Attachment, Note
from .notification import Notification, OutboxEmail
from .observatory import Indicator, IndicatorSet
from .partner import PartnerLink
from .plan import CaseGoal
from .public_report import PublicReport, PublicReportKey, PublicReportMessage
from .referral import Referral, ReferralEvent, SlaTimer
from .risk import RiskAssessment
from .service import EmergencyEligibility, Service, ServiceLanguage, service_regions
from .shelter import EssentialService, ShelterCapacity, Stay, StayExtension, StayService, StayServiceDue
from .sla import Breach, Escalation, JobLock, SlaPolicy
from .stats import referral_daily_stats, referral_weekly_stats
from .task import CaseTask
from .user import ApiToken, LoginThrottle, RecoveryCode, User, UserRole, UserSession

__all__ = [
    "AccountApproval", "Agency", "ApiToken", "Attachment", "AuditChainHead", "AuditCheckpoint", "AuditEvent", "Breach",
    "Case", "CaseBlindIndex", "CaseEvent", "CaseKey", "Consent", "Counter", "EmergencyEligibility",
    "Escalation", "Holiday",
    "JobLock", "LoginThrottle", "Note", "Notification", "OutboxEmail", "PublicReport", "PublicReportKey",
    "PublicReportMessage", "ReadinessProbe", "RecoveryCode", "Referral",
    "ReferralEvent", "Region", "RiskAssessment", "Service", "SlaPolicy", "SlaTimer", "User",
    "UserRole", "UserSession", "referral_daily_stats", "referral_weekly_stats",
    "service_regions", "EssentialService", "ShelterCapacity", "Stay", "StayExtension", "StayService",
    "StayServiceDue", "CaseTask", "LibraryItem", "ServiceLanguage", "CaseGoal", "CaseworkApproval", "CaseworkStep",
    "PartnerLink", "Indicator", "IndicatorSet", "HotCase", "HotCaseDecision",
]
