"""Crypto-shredding: destroying a file's data key makes all its ciphertexts unreadable forever.

Non-identifying statistics stay. The ciphertext columns are cleared too, which is tidy but not
what protects her: without the key they are noise (see README, "Backups and erasure").
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from ..audit.log import record
from ..extensions import db
from ..models import (
    Attachment,
    Case,
    CaseBlindIndex,
    CaseEvent,
    CaseGoal,
    CaseKey,
    CaseTask,
    CaseworkApproval,
    Consent,
    HotCase,
    HotCaseDecision,
    Note,
    PartnerLink,
    Referral,
    ReferralEvent,
    RiskAssessment,
)
from ..models.base import utcnow
from ..models.case import IDENTITY_COLUMNS
from ..security.case_crypto import forget_cached_key


class ShredError(LookupError):
    pass


def shred_case(case_number: str) -> Case:
    case = db.session.execute(select(Case).where(Case.case_number == case_number)).scalar_one_or_none()
    if case is None:
        raise ShredError(f"no file {case_number}")
    if case.shredded_at is not None:
        raise ShredError(f"{case_number} was already erased")
    db.session.execute(delete(CaseKey).where(CaseKey.case_id == case.id))
    db.session.execute(delete(CaseBlindIndex).where(CaseBlindIndex.case_id == case.id))
    for column in IDENTITY_COLUMNS:
        setattr(case, f"{column}_ct", None)
    db.session.execute(update(Note).where(Note.case_id == case.id).values(body_ct=b""))
    db.session.execute(update(Attachment).where(Attachment.case_id == case.id)
                       .values(content_ct=b"", filename_ct=b"", content_type_ct=b""))
    # Every other ciphertext of the file too, so that no page tries to decrypt it with a key that
    # no longer exists.
    referral_ids = select(Referral.id).where(Referral.case_id == case.id).scalar_subquery()
    for statement in (
        update(Referral).where(Referral.case_id == case.id).values(message_ct=None, outcome_ct=None),
        update(ReferralEvent).where(ReferralEvent.referral_id.in_(referral_ids)).values(comment_ct=None),
        update(CaseEvent).where(CaseEvent.case_id == case.id).values(comment_ct=None),
        update(Consent).where(Consent.case_id == case.id).values(note_ct=None),
        update(RiskAssessment).where(RiskAssessment.case_id == case.id).values(answers_ct=None, judgement_ct=None),
        update(CaseGoal).where(CaseGoal.case_id == case.id).values(goal_ct=b"", actions_ct=None, closing_note_ct=None),
        update(CaseTask).where(CaseTask.case_id == case.id).values(note_ct=None),
        update(CaseworkApproval).where(CaseworkApproval.case_id == case.id)
        .values(request_comment_ct=None, decision_comment_ct=None),
        # Her hot case ends with her file: what was written about her goes, the counts stay.
        update(HotCaseDecision).where(HotCaseDecision.hot_case_id.in_(
            select(HotCase.id).where(HotCase.case_id == case.id).scalar_subquery())).values(text_ct=None),
        update(HotCase).where(HotCase.case_id == case.id).values(comment_ct=None),
        update(HotCase).where(HotCase.case_id == case.id, HotCase.closed_at.is_(None))
        .values(closed_at=utcnow(), version=HotCase.version + 1),
        # A partner's letter address opens nothing of her any more.
        update(PartnerLink).where(PartnerLink.referral_id.in_(referral_ids), PartnerLink.revoked_at.is_(None))
        .values(revoked_at=utcnow()),
    ):
        db.session.execute(statement.execution_options(synchronize_session=False))
    case.shredded_at = utcnow()
    forget_cached_key(case.id)
    record("case.shred", object_type="case", object_id=case.id, case_id=case.id,
           details={"case_number": case.case_number})
    return case


def purge_database_files() -> bool:
    """After an erasure has committed, leave no copy of what it destroyed in the database files.

    SQLite zeroes freed space (secure_delete, set on every connection) but in WAL mode the zeroed
    pages sit in the write-ahead log until a checkpoint copies them over the old ones: do it now
    and truncate the log. False if readers kept it from completing (run it again). PostgreSQL
    keeps old row versions until VACUUM and its WAL until recycled: see README.
    """
    if db.engine.dialect.name != "sqlite":
        return True
    with db.engine.connect() as conn:
        busy, _log_frames, _copied = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    return busy == 0
