"""Notes on a file: written by the owner, or by a receiving agency about its referral."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import joinedload

from ..audit.log import record
from ..extensions import db
from ..models import Case, Note, Notification, Referral, User
from ..models.base import utcnow, uuid7
from ..models.vocab import Role
from ..policy import Action, PermissionDenied, require
from ..policy.recipients import recipient_access
from ..security.case_crypto import seal, unseal_text


def add_note(user: User, case: Case, body: str, *, referral: Referral | None = None) -> Note:
    access = require(user, Action.CASE_NOTE, case)
    own_referral = (referral is not None and referral.case_id == case.id and referral.to_agency_id == user.agency_id
                    and recipient_access(case, referral).open)
    if access.relation != "owner" and not own_referral:
        # A receiving agency writes about its own referral only, while her access to it lasts.
        raise PermissionDenied(Action.CASE_NOTE, "not the owner, nor a referral still open to her", case)
    note = Note(id=uuid7(), case_id=case.id, referral_id=referral.id if referral else None, author_id=user.id,
                author_agency_id=user.agency_id, created_at=utcnow(), body_ct=b"")
    note.body_ct = seal(case.id, "notes", "body", note.id, body)
    db.session.add(note)
    case.last_activity_at = note.created_at
    record("note.create", object_type="note", object_id=note.id, case_id=case.id, fields=["body"])
    if referral is not None:
        _tell_the_other_side(user, case, referral)
    return note


#: A note on a referral is a message between the two sides: the other side is told, without its text.
MESSAGE = "referral.message"


def _tell_the_other_side(author: User, case: Case, referral: Referral) -> None:
    from ..notifications import notify, staff_of_agencies

    if author.agency_id == referral.to_agency_id:
        ids = {referral.created_by_id, case.caseworker_id} - {None, author.id}
        people = db.session.execute(select(User).where(User.id.in_(ids), User.active.is_(True))
                                    .order_by(User.id)).scalars().all() if ids else []
    elif recipient_access(case, referral).open:
        # The receiving agency hears of it only while it may read it.
        people = [u for u in staff_of_agencies([referral.to_agency_id], (Role.OFFICER, Role.CASEWORKER))
                  .get(referral.to_agency_id, []) if u.id != author.id]
    else:
        people = []
    notify(people, MESSAGE, referral=referral)


def mark_messages_read(user: User, referral: Referral) -> None:
    """She opened the referral's messages: its message notifications are read."""
    db.session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.referral_id == referral.id, Notification.kind == MESSAGE,
        Notification.read_at.is_(None)).values(read_at=utcnow()))


def unread_messages(user: User, referral_ids: list) -> dict:
    """How many messages she has not read yet, per referral (one query for a list page)."""
    if not referral_ids:
        return {}
    rows = db.session.execute(
        select(Notification.referral_id, func.count()).where(
            Notification.user_id == user.id, Notification.kind == MESSAGE, Notification.read_at.is_(None),
            Notification.referral_id.in_(referral_ids)).group_by(Notification.referral_id))
    return dict(rows.all())


#: Built once (CONTRIBUTING.md, "Statements a page runs on every visit").
#: Authors come with the notes (the page shows their names), not one query each.
_NOTES_OF_CASE = (select(Note).where(Note.case_id == bindparam("case_id")).order_by(Note.created_at)
                  .options(joinedload(Note.author).lazyload(User.role_rows)))
_NOTES_OF_REFERRAL = _NOTES_OF_CASE.where(Note.referral_id == bindparam("referral_id"))


def visible_notes(user: User, case: Case, *, referral: Referral | None = None) -> list[tuple[Note, str]]:
    """Notes she may read, decrypted: all for the owner; a recipient sees the notes of her referral."""
    if referral is not None and referral.to_agency_id == user.agency_id:
        # A recipient reads the notes of her referral while her access to it lasts (the referral's
        # own record stays readable after that; what was written about her does not).
        require(user, Action.REFERRAL_READ, referral)
        if not recipient_access(case, referral).open:
            return []
    elif require(user, Action.CASE_READ, case).relation != "owner":
        return []
    if case.shredded_at is not None:
        return []
    if referral is None:
        notes = db.session.execute(_NOTES_OF_CASE, {"case_id": case.id}).scalars().all()
    else:
        notes = db.session.execute(_NOTES_OF_REFERRAL, {"case_id": case.id, "referral_id": referral.id}).scalars().all()
    if notes:
        record("note.read", object_type="case", object_id=case.id, case_id=case.id, fields=["body"],
               details={"count": len(notes)})
    return [(n, unseal_text(case.id, "notes", "body", n.id, n.body_ct) or "") for n in notes]
