"""Attachments (medical certificates, photos, complaints): encrypted under the file's data key,
name and type included, stored in the database so every app process serves them."""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, select

from ..audit.log import record
from ..extensions import db
from ..models import Attachment, Case, User
from ..models.base import utcnow, uuid7
from ..policy import Action, require
from ..security.case_crypto import seal, unseal, unseal_text
from .errors import InputError

MAX_BYTES = 10 * 1024 * 1024
#: What a caseworker may attach; anything else is refused rather than served back later.
ALLOWED_TYPES = {
    "application/pdf", "image/jpeg", "image/png", "image/webp", "text/plain",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/msword",
}


def add_attachment(user: User, case: Case, *, filename: str, content_type: str, data: bytes) -> Attachment:
    require(user, Action.CASE_UPDATE, case)
    if not data:
        raise InputError("file", "required")
    if len(data) > MAX_BYTES:
        raise InputError("file", "too_large")
    content_type = (content_type or "").split(";")[0].strip().lower()
    if content_type not in ALLOWED_TYPES:
        raise InputError("file", "file_type")
    name = (filename or "attachment").replace("\\", "/").rsplit("/", 1)[-1][:200] or "attachment"
    attachment = Attachment(id=uuid7(), case_id=case.id, uploaded_by_id=user.id,
                            uploaded_by_agency_id=user.agency_id, created_at=utcnow(), size_bytes=len(data),
                            filename_ct=b"", content_type_ct=b"", content_ct=b"")
    attachment.filename_ct = seal(case.id, "attachments", "filename", attachment.id, name)
    attachment.content_type_ct = seal(case.id, "attachments", "content_type", attachment.id, content_type)
    attachment.content_ct = seal(case.id, "attachments", "content", attachment.id, data)
    db.session.add(attachment)
    case.last_activity_at = attachment.created_at
    record("attachment.create", object_type="attachment", object_id=attachment.id, case_id=case.id,
           fields=["filename", "content"], details={"size": len(data)})
    return attachment


#: Built once (CONTRIBUTING.md, "Statements a page runs on every visit").
_ATTACHMENTS_OF_CASE = (select(Attachment).where(Attachment.case_id == bindparam("case_id"))
                        .order_by(Attachment.created_at))


def list_attachments(user: User, case: Case) -> list[tuple[Attachment, str]]:
    """The owner's view: attachments with their decrypted names (the content stays sealed)."""
    require(user, Action.CASE_UPDATE, case)
    rows = db.session.execute(_ATTACHMENTS_OF_CASE, {"case_id": case.id}).scalars().all()
    if case.shredded_at is not None:
        return []
    if rows:
        record("attachment.list", object_type="case", object_id=case.id, case_id=case.id, fields=["filename"])
    return [(a, unseal_text(case.id, "attachments", "filename", a.id, a.filename_ct) or "") for a in rows]


def read_attachment(user: User, case: Case, attachment_id) -> tuple[str, str, bytes]:
    require(user, Action.CASE_UPDATE, case)
    try:
        key = uuid.UUID(str(attachment_id))
    except ValueError:
        raise InputError("attachment", "not_found") from None
    attachment = db.session.get(Attachment, key)
    if attachment is None or attachment.case_id != case.id or case.shredded_at is not None:
        raise InputError("attachment", "not_found")
    name = unseal_text(case.id, "attachments", "filename", attachment.id, attachment.filename_ct)
    content_type = unseal_text(case.id, "attachments", "content_type", attachment.id, attachment.content_type_ct)
    data = unseal(case.id, "attachments", "content", attachment.id, attachment.content_ct)
    record("attachment.read", object_type="attachment", object_id=attachment.id, case_id=case.id,
           fields=["filename", "content"])
    return name, content_type, data
