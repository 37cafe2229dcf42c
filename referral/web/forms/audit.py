"""The access log's filters (query string: shareable, bookmarkable, and the same for the CSV)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from ...audit.labels import ACTION_GROUPS
from ...models.vocab import AuditOutcome
from ...services.audit_queries import AuditFilters
from ...translation import lazy_gettext as _l
from . import DayFirstDateField
from .admin import agency_choices, coerce_int_or_none

OUTCOME_LABELS = {
    AuditOutcome.SUCCESS.value: _l("Done"),
    AuditOutcome.DENIED.value: _l("Refused"),
    AuditOutcome.FAILURE.value: _l("Failed"),
}



class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    username = StringField(_l("Username"), validators=[Optional(), Length(max=80)],
                           render_kw={"dir": "ltr", "autocapitalize": "none"})
    agency = SelectField(_l("Agency"), coerce=coerce_int_or_none, validators=[Optional()])
    case = StringField(_l("File number"), validators=[Optional(), Length(max=32)],
                       render_kw={"dir": "ltr", "placeholder": "CAS-2026-000123"})
    action = SelectField(_l("What was done"), validators=[Optional()])
    outcome = SelectField(_l("Outcome"), validators=[Optional()])
    date_from = DayFirstDateField(_l("From (UTC)"), validators=[Optional()])
    date_to = DayFirstDateField(_l("To (UTC, included)"), validators=[Optional()])
    break_glass = BooleanField(_l("Emergency access only"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.agency.choices = agency_choices(blank=str(_l("All agencies")))
        self.outcome.choices = [("", str(_l("Any outcome")))] + [(k, str(v)) for k, v in OUTCOME_LABELS.items()]
        self.action.choices = [("", str(_l("Anything")))] + [(code, str(text)) for code, text in ACTION_GROUPS]

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def filters(self) -> AuditFilters:
        return AuditFilters(
            username=self.username.data or None,
            agency_id=self.agency.data,
            case_number=self.case.data or None,
            action=self.action.data or None,
            outcome=AuditOutcome(self.outcome.data) if self.outcome.data else None,
            date_from=self.date_from.data,
            date_to=self.date_to.data,
            break_glass_only=bool(self.break_glass.data),
        )
