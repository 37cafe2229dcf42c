"""Referrals to partners outside Masar (issue 20, part 5).

A lawyer, a court clerk, a clinic or a small association may have no account for years. The
sending caseworker prints a letter for it: the referral, what the survivor agreed to share with
that agency (nothing more), and a one-time link. With the link, and nothing else, the partner
acknowledges, accepts or declines, and reports back; each action once. The loop and its time
limits run as for any referral. The link's secret is printed once and stored as its SHA-256;
printing a new letter revokes the former link; it ends with the referral, the survivor's consent,
the file, or after LINK_LIFETIME; the sender may revoke it at any time. Every read and action
through it is in the access log, under the partner agency's name.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from ..audit.log import record
from ..extensions import db
from ..models import Case, PartnerLink, Referral, User
from ..models.base import utcnow
from ..models.case import IDENTITY_COLUMNS
from ..models.vocab import ReferralStatus
from ..policy import Action, require
from ..policy.recipients import recipient_access
from ..security.case_crypto import unseal_text
from ..workflows import engine
from .errors import InputError

LINK_LIFETIME = timedelta(days=30)
#: What a partner may do through its link, in the order of the referral's life.
PARTNER_ACTIONS = ("acknowledge", "accept", "decline", "complete")


@dataclass(frozen=True)
class PartnerView:
    referral: Referral
    #: The identity fields the survivor agreed to share with this agency (decrypted), in order.
    identity: dict
    message: str | None
    #: The actions still open to the partner now.
    actions: tuple[str, ...]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_link(user: User, referral: Referral) -> tuple[PartnerLink, str]:
    """A new link for the letter (the former one is revoked). Only the sender's side, only for a
    partner outside Masar, only while the referral is open and her consent covers it."""
    require(user, Action.REFERRAL_SEND, referral)
    if not referral.to_agency.external_partner:
        raise InputError("referral", "not_external")
    case = db.session.get(Case, referral.case_id)
    if not recipient_access(case, referral).open or not referral.is_open:
        raise InputError("referral", "invalid_transition")
    now = utcnow()
    revoke_links(referral, at=now, by=user)
    secret = secrets.token_urlsafe(32)
    link = PartnerLink(referral_id=referral.id, token_hash=_digest(secret), created_by_id=user.id, created_at=now,
                       expires_at=now + LINK_LIFETIME, used_actions=[])
    db.session.add(link)
    db.session.flush([link])
    record("partner.link_issue", object_type="referral", object_id=referral.id, case_id=referral.case_id,
           details={"reference": referral.reference, "link": link.id, "expires_at": link.expires_at.isoformat()})
    return link, secret


def revoke_links(referral: Referral, *, at=None, by: User | None = None) -> int:
    at = at or utcnow()
    revoked = db.session.execute(
        update(PartnerLink).where(PartnerLink.referral_id == referral.id, PartnerLink.revoked_at.is_(None))
        .values(revoked_at=at).execution_options(synchronize_session="fetch")).rowcount
    if revoked and by is not None:
        record("partner.link_revoke", object_type="referral", object_id=referral.id, case_id=referral.case_id,
               details={"reference": referral.reference})
    return revoked


def revoke(user: User, referral: Referral) -> int:
    require(user, Action.REFERRAL_SEND, referral)
    return revoke_links(referral, by=user)


def live_link(referral: Referral) -> PartnerLink | None:
    return db.session.execute(select(PartnerLink).where(PartnerLink.referral_id == referral.id,
                                                        PartnerLink.revoked_at.is_(None))).scalar_one_or_none()


def find_link(secret: str) -> PartnerLink | None:
    """The link, while it may still be used: not revoked, not expired, its referral reachable by
    its agency (open or recently completed, her consent in force, the file open)."""
    if not secret or len(secret) > 100:
        return None
    link = db.session.execute(select(PartnerLink).where(PartnerLink.token_hash == _digest(secret))
                              ).scalar_one_or_none()
    if link is None or link.revoked_at is not None or link.expires_at <= utcnow():
        return None
    referral = link.referral
    if not referral.to_agency.external_partner:
        return None
    case = db.session.get(Case, referral.case_id)
    if case.shredded_at is not None or not recipient_access(case, referral).open:
        return None
    return link


def partner_view(link: PartnerLink, *, audit_action: str = "partner.read") -> PartnerView:
    """What the partner reads: the referral and what she agreed to share with it (logged: as read
    by the partner through its link, or as printed on its letter by the sender)."""
    referral = link.referral
    case = db.session.get(Case, referral.case_id)
    access = recipient_access(case, referral)
    columns = [c for c, group in IDENTITY_COLUMNS.items() if group in access.fields]
    identity = {c: unseal_text(case.id, "cases", c, case.id, getattr(case, f"{c}_ct")) for c in columns}
    message = unseal_text(case.id, "referrals", "message", referral.id, referral.message_ct)
    record(audit_action, object_type="referral", object_id=referral.id, case_id=case.id,
           fields=[c for c, v in identity.items() if v is not None] + (["message"] if message else []),
           purpose="referral", details={"reference": referral.reference, "link": link.id,
                                        "case_number": case.case_number})
    return PartnerView(referral, {c: v for c, v in identity.items() if v is not None}, message,
                       actions_open(link))


def actions_open(link: PartnerLink) -> tuple[str, ...]:
    status = link.referral.status
    possible = {
        ReferralStatus.SENT: ("acknowledge", "accept", "decline"),
        ReferralStatus.ACKNOWLEDGED: ("accept", "decline"),
        ReferralStatus.ACCEPTED: ("complete",),
        ReferralStatus.IN_PROGRESS: ("complete",),
    }.get(status, ())
    return tuple(a for a in possible if a not in (link.used_actions or []))


def act(link: PartnerLink, action: str, *, reason: str | None = None, message: str | None = None) -> Referral:
    """Take `action` through the link: each at most once, through the workflow engine (its guards,
    timers, notifications and events), as the partner agency."""
    if action not in PARTNER_ACTIONS:
        raise InputError("action", "unknown_action")
    # Claim the action on the link first, in one conditional statement: two presses released
    # together cannot both pass (the loser updates no row).
    used = list(link.used_actions or [])
    if action in used:
        raise InputError("action", "invalid_transition")
    claimed = db.session.execute(
        update(PartnerLink).where(PartnerLink.id == link.id, PartnerLink.revoked_at.is_(None),
                                  PartnerLink.version == link.version)
        .values(used_actions=used + [action], last_used_at=utcnow(), version=PartnerLink.version + 1)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise InputError("action", "concurrent_update")
    referral = link.referral
    actor = engine.PartnerActor(referral_id=referral.id, agency_id=referral.to_agency_id)
    details = {"link": link.id, "via": "partner_link"}
    if action == "complete" and referral.status == ReferralStatus.ACCEPTED:
        engine.fire(referral, "start", actor, audit_details=details)
    engine.fire(referral, action, actor, reason=reason, message=(message or "").strip() or None,
                audit_details=details)
    return referral
