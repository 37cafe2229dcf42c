"""Risk assessments (the DASH-style questionnaire): the questions, assessing a file, its history."""

from __future__ import annotations

from flask import g
from flask_babel import force_locale

from ..policy import Action
from ..services import assessments, risk
from .access import load_case
from .base import ApiBlueprint
from .locale import api_locale
from .schemas.cases import (
    QuestionnaireSchema,
    RiskAssessmentCreateSchema,
    RiskAssessmentListSchema,
    RiskAssessmentSchema,
)

bp = ApiBlueprint("risk", __name__, url_prefix="/v1", tag="risk",
                  description="Risk assessment: 24 yes/no questions; 14 or more yes is high risk.")


@bp.route("/risk-questionnaire", methods=["GET"])
@bp.response(200, QuestionnaireSchema)
@bp.problems(401)
def questionnaire():
    """The questions, in the language of the answer"""
    with force_locale(api_locale()):
        questions = [{"id": qid, "text": str(text)} for qid, text in risk.QUESTIONS]
    return {"version": risk.QUESTIONNAIRE_VERSION, "medium_threshold": risk.MEDIUM_THRESHOLD,
            "high_threshold": risk.HIGH_THRESHOLD, "questions": questions}


@bp.route("/cases/<uuid:case_id>/risk-assessments", methods=["POST"])
@bp.arguments(RiskAssessmentCreateSchema)
@bp.response(201, RiskAssessmentSchema)
@bp.problems(401, 403, 404)
def assess(data, case_id):
    """Assess the risk; the file's level follows (judgement may raise it, never lower it)"""
    case, _access = load_case(case_id, Action.CASE_ASSESS_RISK)
    return assessments.assess_risk(g.user, case, data["answers"], judged_level=data["judged_level"],
                                   judgement=data["judgement"])


@bp.route("/cases/<uuid:case_id>/risk-assessments", methods=["GET"])
@bp.response(200, RiskAssessmentListSchema)
@bp.problems(401, 403, 404)
def list_assessments(case_id):
    """The file's assessments, newest first (scores and levels; the answers stay encrypted)"""
    case, _access = load_case(case_id, Action.CASE_ASSESS_RISK)
    return {"items": assessments.assessments_of(case)}
