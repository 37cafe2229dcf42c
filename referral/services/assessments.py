"""Risk assessments: scored, versioned, encrypted answers; high risk raises the file's level."""

from __future__ import annotations

import json

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..audit.log import record
from ..extensions import db
from ..models import Case, CaseEvent, RiskAssessment, User
from ..models.base import utcnow
from ..models.vocab import RiskLevel
from ..policy import Action, require
from ..security.case_crypto import seal
from . import risk
from .errors import InputError


def assessments_of(case: Case, limit: int = 100) -> list[RiskAssessment]:
    """The file's assessments, newest first (scores and levels; the answers stay sealed)."""
    return list(db.session.execute(select(RiskAssessment).where(RiskAssessment.case_id == case.id)
                                   .order_by(RiskAssessment.assessed_at.desc(), RiskAssessment.id.desc())
                                   .limit(limit)).scalars())


#: Built once (CONTRIBUTING.md, "Statements a page runs on every visit").
_LATEST_ASSESSMENT = (select(RiskAssessment).where(RiskAssessment.case_id == bindparam("case_id"))
                      .options(joinedload(RiskAssessment.assessed_by).lazyload(User.role_rows))
                      .order_by(RiskAssessment.assessed_at.desc(), RiskAssessment.id.desc()).limit(1))


def latest_assessment(case: Case) -> RiskAssessment | None:
    """Her latest assessment, with who made it."""
    return db.session.execute(_LATEST_ASSESSMENT, {"case_id": case.id}).scalar_one_or_none()


def assess_risk(user: User, case: Case, answers: dict[str, bool], *, judged_level: RiskLevel | str | None = None,
                judgement: str | None = None) -> RiskAssessment:
    require(user, Action.CASE_ASSESS_RISK, case)
    try:
        points = risk.score(answers)
    except ValueError:
        raise InputError("answers", "unknown_question") from None
    computed = risk.level_for_score(points)
    judged = RiskLevel(judged_level) if judged_level else None
    level = risk.retained_level(computed, judged)
    if judged is not None and judged != computed and level == judged and not (judgement or "").strip():
        raise InputError("judgement", "required")
    at = utcnow()
    assessment = RiskAssessment(case_id=case.id, questionnaire_version=risk.QUESTIONNAIRE_VERSION, score=points,
                                computed_level=computed, level=level, assessed_by_id=user.id, assessed_at=at)
    db.session.add(assessment)
    db.session.flush([assessment])
    answers_json = json.dumps({q: bool(answers.get(q)) for q in risk.QUESTION_IDS}, separators=(",", ":"))
    assessment.answers_ct = seal(case.id, "risk_assessments", "answers", assessment.id, answers_json)
    if judgement:
        assessment.judgement_ct = seal(case.id, "risk_assessments", "judgement", assessment.id, judgement)
    case.risk_level = level
    case.last_activity_at = at
    db.session.add(CaseEvent(case_id=case.id, kind="risk_assessed", occurred_at=at, actor_user_id=user.id,
                             actor_agency_id=user.agency_id,
                             details={"score": points, "level": level.value, "computed": computed.value}))
    record("risk.assess", object_type="risk_assessment", object_id=assessment.id, case_id=case.id,
           fields=["answers"] + (["judgement"] if judgement else []),
           details={"score": points, "level": level.value})
    return assessment
