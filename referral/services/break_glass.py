"""Emergency access to a file outside one's scope: a written reason, flagged to auditors."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Case, User
from ..policy import Action, require
from .cases import CaseInputError, read_identity

MIN_REASON = 20


def emergency_read(user: User, case_number: str, reason: str) -> tuple[Case, dict]:
    require(user, Action.CASE_BREAK_GLASS)
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise CaseInputError("reason", "required")
    case = db.session.execute(select(Case).where(Case.case_number == case_number.strip().upper())) \
        .scalar_one_or_none()
    if case is None:
        raise CaseInputError("case_number", "not_found")
    return case, read_identity(user, case, purpose="break_glass", break_glass_reason=reason)
