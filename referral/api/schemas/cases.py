"""Survivor files, their consents and risk assessments, as the API reads and writes them."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate, validates

from ...models import Region
from ...models.vocab import (
    AgeBand,
    CaseStatus,
    ClosureReason,
    IncidentPlace,
    IntakeChannel,
    PerpetratorRelationship,
    RiskLevel,
    ServiceCategory,
    SharedField,
    StatisticsConsent,
    ViolenceFlag,
    ViolenceType,
)
from ...services.cases import BLIND_INDEXED
from ...services.records import get_record
from ...services.risk import QUESTION_IDS
from .common import MAX_ID, Id, PageArgsSchema, PageSchema, Text, choice


class CaseInputSchema(ma.Schema):
    """Identity (encrypted) and statistics fields; on update, only the fields sent change.
    Lengths are the web form's."""

    full_name = Text(validate=validate.Length(max=200))
    phone = Text(allow_none=True, validate=validate.Length(max=40))
    address = Text(allow_none=True, validate=validate.Length(max=300))
    contact_instructions = Text(allow_none=True, validate=validate.Length(max=300),
                                metadata={"description": "How to reach her safely."})
    national_id = Text(allow_none=True, validate=validate.Length(max=40))
    date_of_birth = fields.Date(allow_none=True)
    narrative = Text(allow_none=True, validate=validate.Length(max=20000))
    region_id = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=MAX_ID))
    age_band = choice(AgeBand, allow_none=True)
    disability = fields.Boolean(allow_none=True)
    violence_type = choice(ViolenceType, allow_none=True, metadata={"description": "GBVIMS type."})
    violence_flags = fields.List(choice(ViolenceFlag), validate=validate.Length(max=len(ViolenceFlag)))
    perpetrator_relationship = choice(PerpetratorRelationship, allow_none=True)
    incident_date = fields.Date(allow_none=True)
    incident_place = choice(IncidentPlace, allow_none=True)
    channel = choice(IntakeChannel)
    statistics_consent = choice(StatisticsConsent, allow_none=True, metadata={
        "description": "Consent for reporting (GBVIMS): only \"yes\" counts the file in the observatory; "
                       "null: not asked yet."})

    @validates("region_id")
    def _known_region(self, value, **kwargs):
        if value is not None and get_record(Region, value) is None:
            raise ma.ValidationError("Unknown region.")


class CaseCreateSchema(CaseInputSchema):
    full_name = Text(required=True, validate=validate.Length(min=1, max=200))
    violence_type = choice(ViolenceType, required=True, metadata={"description": "GBVIMS type."})


class IdentitySchema(ma.Schema):
    """The identity fields the caller may read (per role, relation and consent); others are absent."""

    full_name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    contact_instructions = fields.String(allow_none=True)
    national_id = fields.String(allow_none=True)
    date_of_birth = fields.String(allow_none=True)
    narrative = fields.String(allow_none=True)


class CaseSchema(ma.Schema):
    id = fields.UUID(required=True)
    case_number = fields.String(required=True)
    status = choice(CaseStatus, required=True)
    version = fields.Integer(required=True)
    owner_agency_id = fields.Integer(required=True)
    channel = fields.String(required=True)
    opened_at = fields.DateTime(required=True)
    closed_at = fields.DateTime(required=True, allow_none=True)
    closure_reason = choice(ClosureReason, required=True, allow_none=True)
    last_activity_at = fields.DateTime(required=True)
    region_id = fields.Integer(required=True, allow_none=True)
    age_band = fields.String(required=True, allow_none=True)
    disability = fields.Boolean(required=True, allow_none=True)
    violence_type = fields.String(required=True, allow_none=True)
    violence_flags = fields.List(fields.String(), required=True)
    perpetrator_relationship = fields.String(required=True, allow_none=True)
    incident_date = fields.Date(required=True, allow_none=True)
    incident_place = fields.String(required=True, allow_none=True)
    risk_level = fields.String(required=True, allow_none=True)
    statistics_consent = fields.String(required=True, allow_none=True)
    shredded = fields.Boolean(required=True, metadata={"description": "The file's key was destroyed."})


class CaseDetailSchema(CaseSchema):
    relation = fields.String(required=True, metadata={"enum": ["owner", "recipient"]})
    visible_fields = fields.List(fields.String(), required=True,
                                 metadata={"description": "Field groups the caller may read."})
    identity = fields.Nested(IdentitySchema, required=True)


class CreatedCaseSchema(CaseSchema):
    possible_duplicate = fields.Boolean(required=True, metadata={
        "description": "Another association may already support her. Which one is never said: that "
                       "association is told and decides whether to contact you."})


class CaseListArgsSchema(PageArgsSchema):
    status = fields.String(load_default="open", validate=validate.OneOf(["open", "closed", "all"]))
    risk = choice(RiskLevel, load_default=None)


class CaseRowSchema(ma.Schema):
    id = fields.UUID(required=True)
    case_number = fields.String(required=True)
    status = fields.String(required=True)
    risk_level = fields.String(required=True, allow_none=True)
    opened_at = fields.DateTime(required=True)
    last_activity_at = fields.DateTime(required=True)
    version = fields.Integer(required=True)
    full_name = fields.String(required=True, allow_none=True)
    open_referrals = fields.Integer(required=True)


class CasePageSchema(PageSchema):
    items = fields.List(fields.Nested(CaseRowSchema), required=True)


class CaseSearchSchema(ma.Schema):
    column = fields.String(required=True, validate=validate.OneOf(sorted(BLIND_INDEXED)))
    value = Text(required=True, validate=validate.Length(min=1, max=200),
                 metadata={"description": "The exact value (normalised: phone formats, Arabic spellings...)."})


class CaseSearchResultSchema(ma.Schema):
    items = fields.List(fields.Nested(CaseRowSchema), required=True)


class ConsentCreateSchema(ma.Schema):
    fields_ = fields.List(choice(SharedField), required=True, data_key="fields",
                          validate=validate.Length(max=len(SharedField)))
    agency_id = Id(allow_none=True, load_default=None)
    service_category = choice(ServiceCategory, allow_none=True, load_default=None)
    note = Text(allow_none=True, load_default=None, validate=validate.Length(max=500),
                metadata={"description": "How consent was given (encrypted)."})


class ConsentSchema(ma.Schema):
    id = fields.Integer(required=True)
    agency_id = fields.Integer(required=True, allow_none=True)
    service_category = fields.String(required=True, allow_none=True)
    fields_ = fields.List(fields.String(), required=True, data_key="fields", attribute="fields")
    recorded_at = fields.DateTime(required=True)
    recorded_by_id = fields.Integer(required=True)
    withdrawn_at = fields.DateTime(required=True, allow_none=True)
    withdrawn_by_id = fields.Integer(required=True, allow_none=True)


class ConsentListSchema(ma.Schema):
    items = fields.List(fields.Nested(ConsentSchema), required=True)


class RiskAssessmentCreateSchema(ma.Schema):
    answers = fields.Dict(keys=fields.String(validate=validate.OneOf(QUESTION_IDS)), values=fields.Boolean(),
                          required=True, metadata={"description": "Question id -> yes/no; unanswered is no."})
    judged_level = choice(RiskLevel, allow_none=True, load_default=None,
                          metadata={"description": "Professional judgement may raise the level, never lower it."})
    judgement = Text(allow_none=True, load_default=None, validate=validate.Length(max=2000))


class RiskAssessmentSchema(ma.Schema):
    id = fields.Integer(required=True)
    questionnaire_version = fields.String(required=True)
    score = fields.Integer(required=True)
    computed_level = fields.String(required=True)
    level = fields.String(required=True)
    assessed_at = fields.DateTime(required=True)
    assessed_by_id = fields.Integer(required=True)


class RiskAssessmentListSchema(ma.Schema):
    items = fields.List(fields.Nested(RiskAssessmentSchema), required=True)


class QuestionSchema(ma.Schema):
    id = fields.String(required=True)
    text = fields.String(required=True)


class QuestionnaireSchema(ma.Schema):
    version = fields.String(required=True)
    medium_threshold = fields.Integer(required=True)
    high_threshold = fields.Integer(required=True)
    questions = fields.List(fields.Nested(QuestionSchema), required=True)
