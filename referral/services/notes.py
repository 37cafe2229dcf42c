"""Notes on a file: written by the owner, or by a receiving agency about its referral."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..audit.log import record
from ..extensions import db
from ..models import Case, Note, Referral, User
from ..models.base import utcnow, uuid7
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
    return note


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
    # Authors come with the notes (the page shows their names), not one query each.
    query = (select(Note).where(Note.case_id == case.id).order_by(Note.created_at)
             .options(joinedload(Note.author).lazyload(User.role_rows)))
    if referral is not None:
        query = query.where(Note.referral_id == referral.id)
    notes = db.session.execute(query).scalars().all()
    if notes:
        record("note.read", object_type="case", object_id=case.id, case_id=case.id, fields=["body"],
               details={"count": len(notes)})
    return [(n, unseal_text(case.id, "notes", "body", n.id, n.body_ct) or "") for n in notes]
