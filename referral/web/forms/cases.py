"""Forms of the caseworker's journey: intake, edit, consent, risk, close/reopen, notes, search."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ...labels import lazy_label
from ...models.plan import GOAL_AREAS
from ...models.task import TASK_KINDS
from ...models.vocab import (
    AgeBand,
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
from ...services.risk import QUESTIONS
from ...translation import lazy_gettext as _l
from . import BLANK, DayFirstDateField, DayFirstDateTimeField, enum_options, options

REQUIRED = _l("This field is required.")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _choices(enum_cls, prefix: str = "", blank: bool = True):
    return enum_options(enum_cls, prefix, blank=blank)


def coerce_int_or_none(value):
    if value in (None, "", "None"):
        return None
    return int(value)


class IdentityMixin:
    full_name = StringField(_l("Full name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=40)],
                        render_kw={"dir": "ltr", "inputmode": "tel", "autocomplete": "off"})
    contact_instructions = StringField(_l("How to contact her safely"), validators=[Optional(), Length(max=300)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    national_id = StringField(_l("National ID number"), validators=[Optional(), Length(max=40)],
                              render_kw={"dir": "ltr", "autocomplete": "off"})
    date_of_birth = DayFirstDateField(_l("Date of birth"), validators=[Optional()])
    narrative = TextAreaField(_l("Account of the violence"), validators=[Optional(), Length(max=20000)])


class DetailsMixin:
    region_id = SelectField(_l("Region"), coerce=coerce_int_or_none, validators=[Optional()])
    age_band = SelectField(_l("Age"), choices=_choices(AgeBand), validators=[Optional()])
    disability = BooleanField(_l("She lives with a disability"))
    violence_type = SelectField(_l("Type of violence (GBVIMS)"), choices=_choices(ViolenceType),
                                validators=[DataRequired(REQUIRED)])
    violence_flags = MultiCheckboxField(_l("Also involves"), choices=_choices(ViolenceFlag, "flag_", blank=False))
    perpetrator_relationship = SelectField(_l("Relationship to the perpetrator"), validators=[Optional()],
                                           choices=_choices(PerpetratorRelationship))
    incident_date = DayFirstDateField(_l("Date of the incident"), validators=[Optional()])
    incident_place = SelectField(_l("Place of the incident"), choices=_choices(IncidentPlace),
                                 validators=[Optional()])
    channel = SelectField(_l("How she reached us"), choices=_choices(IntakeChannel, blank=False),
                          default=IntakeChannel.WALK_IN.value)
    statistics_consent = SelectField(
        _l("She agrees that her file counts in the observatory's statistics"), validators=[Optional()],
        choices=options([("", _l("Not asked yet")),
                         *((m.value, lazy_label(m.value, "consent_")) for m in StatisticsConsent)]))


class CaseForm(FlaskForm, IdentityMixin, DetailsMixin):
    version = HiddenField()


class TaskForm(FlaskForm):
    kind = SelectField(_l("What"), choices=options([(k, lazy_label(k, "task_")) for k in TASK_KINDS]),
                       validators=[DataRequired(REQUIRED)])
    due_at = DayFirstDateTimeField(_l("When (local time)"), validators=[DataRequired(REQUIRED)])
    assignee_id = SelectField(_l("Who"), coerce=coerce_int_or_none, validators=[DataRequired(REQUIRED)])
    note = TextAreaField(_l("Note (optional; encrypted)"), validators=[Optional(), Length(max=2000)])


class AnonymousCaseForm(FlaskForm, DetailsMixin):
    """A case with no identity at all: counted by the observatory, and a referral or alert can
    carry it without naming her."""


class ConsentForm(FlaskForm):
    scope = RadioField(_l("Share with"), default="agency",
                       choices=options([("agency", _l("One agency")), ("category", _l("Every agency of a kind"))]))
    agency_id = SelectField(_l("Agency"), coerce=coerce_int_or_none, validators=[Optional()])
    service_category = SelectField(_l("Kind of service"), choices=_choices(ServiceCategory), validators=[Optional()])
    fields = MultiCheckboxField(_l("She agrees to share"), choices=_choices(SharedField, blank=False))
    note = StringField(_l("How consent was given (optional)"), validators=[Optional(), Length(max=500)])


class ConfirmForm(FlaskForm):
    pass


class CloseForm(FlaskForm):
    reason = SelectField(_l("Outcome"), choices=_choices(ClosureReason), validators=[DataRequired(REQUIRED)])
    services_received = MultiCheckboxField(_l("Services she received (counted by the observatory, never her name)"),
                                           choices=_choices(ServiceCategory, blank=False))
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class GoalForm(FlaskForm):
    version = HiddenField()
    area = SelectField(_l("Area"), choices=options([(a, lazy_label(a, "goal_area_")) for a in GOAL_AREAS], blank=True),
                       validators=[DataRequired(REQUIRED)])
    goal = StringField(_l("Goal agreed with her"), validators=[DataRequired(REQUIRED), Length(max=500)])
    actions = TextAreaField(_l("Actions, one per line"), validators=[Optional(), Length(max=4000)],
                            render_kw={"rows": 3})
    by_whom = RadioField(_l("Who does it"), choices=options([("association", _l("Our association")),
                                                            ("referral", _l("Another agency, through a referral"))]),
                         default="association", validators=[DataRequired(REQUIRED)])
    referral_id = SelectField(_l("Referral that serves it"), validators=[Optional()])
    target_on = DayFirstDateField(_l("Target date"), validators=[Optional()])


class GoalCloseForm(FlaskForm):
    version = HiddenField()
    note = TextAreaField(_l("How it was achieved, or why it is dropped"), validators=[Optional(), Length(max=2000)],
                         render_kw={"rows": 2})


class ReopenForm(FlaskForm):
    comment = TextAreaField(_l("Why reopen the file?"), validators=[DataRequired(REQUIRED), Length(max=2000)])


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Note"), validators=[DataRequired(REQUIRED), Length(max=20000)])


class SearchForm(FlaskForm):
    """Searching by identity is a POST: a name or phone number must never sit in a URL or a log."""

    column = SelectField(_l("Search by"), choices=options([("full_name", _l("Full name")),
                                                           ("phone", _l("Phone number")),
                                                           ("national_id", _l("National ID number"))]),
                         default="full_name")
    q = StringField(_l("Exact value"), validators=[DataRequired(REQUIRED), Length(max=200)],
                    render_kw={"autocomplete": "off"})


class FilterForm(FlaskForm):
    class Meta:
        csrf = False  # filtering by status or risk carries no survivor data and changes nothing

    status = SelectField(_l("Status"), default="open",
                         choices=options([("open", _l("Open")), ("closed", _l("Closed")), ("all", _l("All"))]))
    risk = SelectField(_l("Risk"), choices=_choices(RiskLevel, "risk_"), validators=[Optional()])


def risk_form_class():
    """The questionnaire as a form: one yes/no per question, plus professional judgement."""

    class RiskForm(FlaskForm):
        judged_level = SelectField(_l("Professional judgement: raise the level to"),
                                   choices=options([("", _l("Keep the computed level"))])
                                   + _choices(RiskLevel, "risk_", False),
                                   validators=[Optional()])
        judgement = TextAreaField(_l("Why raise the level?"), validators=[Optional(), Length(max=2000)])

    for question_id, text in QUESTIONS:
        setattr(RiskForm, f"q_{question_id}", BooleanField(text))
    return RiskForm


RiskForm = risk_form_class()


class BreakGlassForm(FlaskForm):
    """Her file is found by who she is, never by a number: consecutive numbers find nothing."""

    full_name = StringField(_l("Her full name"), validators=[DataRequired(REQUIRED), Length(max=200)],
                            render_kw={"autocomplete": "off"})
    column = SelectField(_l("And"), choices=options([("phone", _l("Her phone number")),
                                                     ("national_id", _l("Her national ID number"))]))
    value = StringField(_l("Number"), validators=[DataRequired(REQUIRED), Length(max=64)],
                        render_kw={"dir": "ltr", "autocomplete": "off"})
    reason = SelectField(_l("Reason"), validators=[DataRequired(REQUIRED)], choices=options([
        ("", BLANK),
        ("danger_now", _l("She is in immediate danger")),
        ("medical_emergency", _l("Medical emergency")),
        ("shelter_admission", _l("Emergency admission to a shelter")),
        ("missing", _l("She is missing or cannot be reached")),
    ]))
    note = TextAreaField(_l("Note (optional, encrypted, readable only by the owning association)"),
                         validators=[Optional(), Length(max=1000)])


class AttachmentForm(FlaskForm):
    file = FileField(_l("File (PDF, image, text or Word, up to 10 MB)"), validators=[FileRequired(REQUIRED)])
