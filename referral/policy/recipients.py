"""What a receiving agency may still read of a survivor through one referral, and until when.

Reading follows sending exactly: a referral is read under the consent that covers its own need and
agency (`consent_for(case, to_agency, need)`, the engine's check at send time), never under some
other consent the agency could match through another of its services. And access ends: at once
when the referral is declined, withdrawn or returned or the file is closed, a configurable period
after completion. What ends is everything written about her (identity, message, comments, notes,
risk level); the referral's record (dates, status, outcome) stays with the agency for its own work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context

from ..models import Case, Consent, Referral
from ..models.base import utcnow
from ..models.vocab import CaseStatus, ReferralStatus
from .fields import active_consents, consent_covering, consent_for

#: The recipient's access ends the moment the referral reaches one of these.
ENDS_AT_ONCE = frozenset({ReferralStatus.DECLINED, ReferralStatus.WITHDRAWN, ReferralStatus.RETURNED})
DEFAULT_AFTER_COMPLETION = timedelta(days=30)


@dataclass(frozen=True)
class RecipientAccess:
    #: Whether the recipient reads anything written about her (message, comments, notes).
    open: bool
    #: SharedField groups she may decrypt through this referral.
    fields: frozenset[str] = frozenset()
    #: Why access ended (a referral status, "file_closed", "no_consent", "completed"), else None.
    ended: str | None = None
    #: When access will end on its own (a completed referral), else None.
    until: datetime | None = None


def after_completion() -> timedelta:
    if has_app_context():
        return current_app.config.get("RECIPIENT_ACCESS_AFTER_COMPLETION", DEFAULT_AFTER_COMPLETION)
    return DEFAULT_AFTER_COMPLETION


def recipient_access(case: Case, referral: Referral, *, consents: list[Consent] | None = None,
                     at: datetime | None = None, categories: Mapping[int, frozenset] | None = None
                     ) -> RecipientAccess:
    """The receiving agency's access to `case` through `referral`, now (or at `at`).

    `consents`: the file's consents in force, and `categories`: `active_categories` of the
    receiving agencies, when the caller has them already (one query per file, not one per referral)."""
    ended = _ended(case, referral, at or utcnow())
    if ended is not None:
        return RecipientAccess(False, ended=ended)
    if consents is None:
        consents = active_consents(case)
    if categories is None:
        consented = consent_for(case, referral.to_agency, referral.need, consents=consents)
    else:
        consented = consent_covering(case, referral.to_agency_id, categories[referral.to_agency_id], referral.need,
                                     consents=consents)
    if consented is None:
        return RecipientAccess(False, ended="no_consent")
    until = _completed_at(referral) + after_completion() if referral.status == ReferralStatus.COMPLETED else None
    return RecipientAccess(True, frozenset(referral.shared_fields or []) & consented, until=until)


def _ended(case: Case, referral: Referral, at: datetime) -> str | None:
    if referral.status == ReferralStatus.DRAFT:
        return "draft"
    if referral.status in ENDS_AT_ONCE:
        return referral.status.value
    if case.status == CaseStatus.CLOSED:
        return "file_closed"
    if referral.status == ReferralStatus.COMPLETED and _completed_at(referral) + after_completion() <= at:
        return "completed"
    return None


def _completed_at(referral: Referral) -> datetime:
    # Completion always stamps completed_at; a row imported without it counts from its last change.
    return referral.completed_at or referral.updated_at
