"""Telling people something happened: in-app notifications and queued emails.

Both carry a kind, reference numbers and a link, never survivor data. Emails go through the
outbox table in the same transaction as the change, and the scheduler delivers them after commit.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import insert, select

from ..extensions import db
from ..models import Notification, OutboxEmail, Referral, User, UserRole
from ..models.vocab import Role
from ..translation import gettext as _


def notification_text(kind: str, params: dict) -> str:
    """The sentence for a notification, in the current locale."""
    ref = params.get("reference", "")
    texts = {
        "referral.send": lambda: _("New referral %(ref)s for your agency.", ref=ref),
        "referral.acknowledge": lambda: _("Referral %(ref)s was acknowledged.", ref=ref),
        "referral.accept": lambda: _("Referral %(ref)s was accepted.", ref=ref),
        "referral.decline": lambda: _("Referral %(ref)s was declined. It is back with you.", ref=ref),
        "referral.start": lambda: _("Care started for referral %(ref)s.", ref=ref),
        "referral.complete": lambda: _("Referral %(ref)s was completed.", ref=ref),
        "referral.return": lambda: _("Referral %(ref)s was returned. It is back with you.", ref=ref),
        "referral.withdraw": lambda: _("Referral %(ref)s was withdrawn by the sender.", ref=ref),
        "referral.info_request": lambda: _("More information is requested for referral %(ref)s.", ref=ref),
        "referral.info_provided": lambda: _("Information was provided for referral %(ref)s.", ref=ref),
        "referral.breach": lambda: _("Referral %(ref)s is overdue.", ref=ref),
        "referral.message": lambda: _("New message about referral %(ref)s.", ref=ref),
        "referral.escalation": lambda: _("Referral %(ref)s is still overdue and was escalated.", ref=ref),
        "referral.breach_digest": lambda: _("%(count)s referrals are overdue: %(refs)s.",
                                            count=params.get("count", ""), refs=_references(params)),
        "referral.escalation_digest": lambda: _("%(count)s referrals are still overdue and were escalated: "
                                                "%(refs)s.", count=params.get("count", ""), refs=_references(params)),
        "referral.reminder": lambda: _("A coordinator sent a reminder about referral %(ref)s.", ref=ref),
        "referral.reassign": lambda: _("Declined referral %(previous)s was sent on as %(ref)s.",
                                       previous=params.get("previous", ""), ref=ref),
        "break_glass.read": lambda: _("Emergency access to your file %(ref)s by %(user)s (%(agency)s): %(reason)s.",
                                      ref=ref, user=params.get("user", ""), agency=params.get("agency", ""),
                                      reason=emergency_reason_label(params.get("reason", ""))),
        "break_glass.over_limit": lambda: _("%(user)s asked for more than %(limit)s emergency accesses in a day "
                                            "(file %(ref)s): a colleague must approve.",
                                            user=params.get("user", ""), limit=params.get("limit", ""), ref=ref),
        "break_glass.rules_changed": lambda: _("%(ref)s changed who may ask for emergency access: see the "
                                               "access log.", ref=ref),
        "break_glass.approved": lambda: _("Your emergency access to %(ref)s was approved for one hour.", ref=ref),
        "case.possible_duplicate": lambda: _(
            "%(agency)s opened a file that may concern the same woman as your file %(ref)s. Decide whether to "
            "contact them.", agency=params.get("agency", ""), ref=ref),
        "case.duplicate_burst": lambda: _("%(user)s opened %(count)s files matching other associations' files "
                                          "within an hour (latest %(ref)s).",
                                          user=params.get("user", ""), count=params.get("count", ""), ref=ref),
        "report.danger_now": lambda: _("Public report %(ref)s says someone is in danger now, in your region. "
                                       "Claim it at once.", ref=ref),
        "stay.admitted": lambda: _("She was admitted to the shelter (referral %(ref)s).", ref=ref),
        "stay.exited": lambda: _("She left the shelter (referral %(ref)s).", ref=ref),
        "stay.extension_requested": lambda: _("A colleague asks to extend the stay of referral %(ref)s: your "
                                              "approval is needed.", ref=ref),
        "stay.extension_decided": lambda: _("Your request to extend the stay of referral %(ref)s was decided.",
                                            ref=ref),
        "stay.service_overdue": lambda: _("An essential service of the stay of referral %(ref)s is overdue.",
                                          ref=ref),
        "hot_case.flagged": lambda: _("A file was flagged as hot case %(number)s for your governorate's coalition.",
                                      number=params.get("hot_case", "")),
        "hot_case.review_due": lambda: _("Hot case %(number)s is due for review.", number=params.get("hot_case", "")),
        "case.stalled": lambda: _("File %(ref)s has had no activity for a long time.", ref=ref),
        "task.due": lambda: _("A follow-up on file %(ref)s is due at %(at)s.", ref=ref, at=params.get("at", "")),
        "erasure.requested": lambda: _("She asked that file %(ref)s be erased: carry it out in Erasure requests.",
                                       ref=ref),
        "supervision.requested": lambda: (
            _("A colleague asks you to approve the closure of file %(ref)s.", ref=ref)
            if params.get("step") == "case_close" else
            _("A colleague asks you to approve the erasure of file %(ref)s.", ref=ref)
            if params.get("step") == "shred_request" else
            _("A colleague asks you to approve the plan of file %(ref)s.", ref=ref)),
        "supervision.decided": lambda: (
            _("Your supervisor approved your request on file %(ref)s.", ref=ref)
            if params.get("outcome") == "approved" else
            _("Your supervisor returned your request on file %(ref)s with comments.", ref=ref)),
        "account.approval_needed": lambda: _("An administrator asks to %(change)s for the account %(ref)s of "
                                             "your agency: your approval is needed.",
                                             change=account_change_label(params.get("change", "")), ref=ref),
        "account.change_requested": lambda: _("An administrator asked to %(change)s for your account %(ref)s. A "
                                              "lead of your agency must approve it. If you did not ask for this, "
                                              "tell your lead.",
                                              change=account_change_label(params.get("change", "")), ref=ref),
        "account.change_approved": lambda: _("A lead of the agency approved the request to %(change)s for the "
                                             "account %(ref)s.",
                                             change=account_change_label(params.get("change", "")), ref=ref),
        "account.change_refused": lambda: _("A lead of the agency refused the request to %(change)s for the "
                                            "account %(ref)s.",
                                            change=account_change_label(params.get("change", "")), ref=ref),
    }
    return texts.get(kind, lambda: _("Update on %(ref)s.", ref=ref))()


def _references(params: dict) -> str:
    """The references a digest names, and an ellipsis when it names only the first of them."""
    shown = list(params.get("references") or [])
    return ", ".join(shown) + (", …" if int(params.get("count") or 0) > len(shown) else "")


def emergency_reason_label(code: str) -> str:
    labels = {
        "danger_now": lambda: _("She is in immediate danger"),
        "medical_emergency": lambda: _("Medical emergency"),
        "shelter_admission": lambda: _("Emergency admission to a shelter"),
        "missing": lambda: _("She is missing or cannot be reached"),
    }
    return labels[code]() if code in labels else code


def account_change_label(code: str) -> str:
    """The change, as a verb phrase that completes "asks to ..."."""
    labels = {
        "create": lambda: _("open a new account"),
        "enable": lambda: _("re-enable the account"),
        "reset_password": lambda: _("reset the password"),
        "reset_second_factor": lambda: _("reset the second factor"),
        "grant_lead": lambda: _("make her a lead of the agency"),
    }
    return labels[code]() if code in labels else code


def agency_staff(agency_id: int, roles: Iterable[Role]) -> list[User]:
    return staff_of_agencies([agency_id], roles).get(agency_id, [])


def auditors() -> list[User]:
    """Every active auditor of the network: alerts on emergency reads and duplicate bursts go to them."""
    return db.session.execute(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(User.active.is_(True), UserRole.role == Role.AUDITOR).distinct().order_by(User.id)
    ).scalars().all()


def staff_of_agencies(agency_ids: Iterable[int], roles: Iterable[Role]) -> dict[int, list[User]]:
    """Active people holding one of `roles`, per agency: one query for a whole sweep batch."""
    ids = set(agency_ids)
    if not ids:
        return {}
    users = db.session.execute(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.agency_id.in_(ids), User.active.is_(True), UserRole.role.in_(list(roles)))
        .distinct()
        .order_by(User.id)
    ).scalars()
    staff: dict[int, list[User]] = {}
    for user in users:
        staff.setdefault(user.agency_id, []).append(user)
    return staff


def notify(users: Iterable[User], kind: str, *, referral: Referral | None = None, case=None,
           params: dict | None = None, path: str | None = None) -> None:
    """Tell `users` in the app and by email; `path` is the page the email links to when the news
    is about neither a referral nor a file."""
    letters = _Letters()
    letters.add(users, kind, referral=referral, case=case, params=params, path=path)
    letters.write()


def notify_each(kind: str, news: Iterable[tuple[Iterable[User], dict]]) -> None:
    """Several notices of one kind at once (a sweep batch's stalled files), each `(users, what)`
    where `what` holds `notify`'s keyword arguments: one INSERT per table for all of them."""
    letters = _Letters()
    for users, what in news:
        letters.add(users, kind, **what)
    letters.write()


class _Letters:
    """Notices and their emails gathered as rows, written in one INSERT per table: a sweep batch
    tells thousands, and no one reads them back in the transaction but through a query."""

    def __init__(self):
        self.notices: list[dict] = []
        self.emails: list[dict] = []
        #: One rendering per kind, parameters and language, whoever reads it.
        self.rendered: dict[tuple, tuple[str, str]] = {}

    def add(self, users: Iterable[User], kind: str, *, referral: Referral | None = None, case=None,
            params: dict | None = None, path: str | None = None) -> None:
        params = dict(params or {})
        if referral is not None:
            params.setdefault("reference", referral.reference)
        elif case is not None:
            params.setdefault("reference", case.case_number)
        link = _link(referral, case, path)
        seen: set[int] = set()
        for user in users:
            if user.id in seen:
                continue
            seen.add(user.id)
            self.notices.append({"user_id": user.id, "kind": kind, "params": params,
                                 "referral_id": referral.id if referral else None,
                                 "case_id": case.id if case is not None else None})
            if user.email:
                subject, body = self._letter(kind, params, link, user.locale)
                self.emails.append({"to_address": user.email, "subject": subject, "body": body})

    def _letter(self, kind: str, params: dict, link: str, locale: str | None) -> tuple[str, str]:
        locale = locale or current_app.config["BABEL_DEFAULT_LOCALE"]
        key = (kind, repr(sorted(params.items())), link, locale)
        if key not in self.rendered:
            with force_locale(locale):
                text = notification_text(kind, params)
                self.rendered[key] = (f"Masar: {text}", _(
                    "%(text)s\n\nOpen Masar to see it: %(link)s\n\nThis message contains no personal "
                    "information on purpose.", text=text, link=link))
        return self.rendered[key]

    def write(self) -> None:
        if self.notices:
            db.session.execute(insert(Notification.__table__), self.notices)
        if self.emails:
            db.session.execute(insert(OutboxEmail.__table__), self.emails)


#: A digest names this many references; the rest are counted.
DIGEST_REFERENCES = 10


def notify_batch(kind: str, news: Iterable[tuple[Referral, Iterable[User], dict]]) -> None:
    """The same news about several referrals at once (a sweep batch): whoever hears of one referral
    gets the usual notification, whoever hears of several gets one digest naming them (`kind` +
    "_digest"), in the app and by email: after a day without a sweep an officer gets one message,
    not one per overdue referral."""
    # user id -> (user, {referral id: (referral, params)}): each referral named once per person.
    # A batch pairs hundreds of referrals with their agencies' staff: one dictionary step per pair.
    per_user: dict[int, tuple[User, dict]] = {}
    for referral, users, params in news:
        item = (referral, params)
        referral_id = referral.id
        for user in users:
            entry = per_user.get(user.id)
            if entry is None:
                entry = per_user[user.id] = (user, {})
            entry[1].setdefault(referral_id, item)
    letters = _Letters()
    for user, named_once in per_user.values():
        items = list(named_once.values())
        if len(items) == 1:
            referral, params = items[0]
            letters.add([user], kind, referral=referral, params=params)
        else:
            named = sorted(items, key=lambda item: item[0].reference)[:DIGEST_REFERENCES]
            references = [r.reference for r, _ in named]
            letters.add([user], f"{kind}_digest", params={
                "count": len(items), "reference": references[0], "references": references,
                # What each named referral's own notice said (its time limits), for the record.
                "details": {r.reference: params for r, params in named}}, path="/notifications?group=overdue")
    letters.write()


def _link(referral: Referral | None, case=None, path: str | None = None) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    if path is not None:
        return base + path
    if referral is not None:
        return f"{base}/referrals/{referral.id}"
    if case is not None:
        return f"{base}/cases/{case.id}"
    return base + "/notifications"
