"""The public report form, the receipt lookup and the addition: no session, so no session CSRF
token (`security.public_forms` signs a hidden field instead)."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ...labels import lazy_label
from ...models.vocab import IncidentPlace, ReporterRole, ViolenceType
from ...services.public_reports import ADDITION_MAX, CONTACT_MAX, NARRATIVE_MAX
from ...translation import lazy_gettext as _l
from . import DayFirstDateField, enum_options, options
from .cases import REQUIRED, coerce_int_or_none

#: Markup in a report is refused, not stored: no page would run it (templates escape), but a
#: report made of tags is an attack, not a woman asking for help, and she is told what to change.
MARKUP = re.compile(r"<\s*[a-zA-Z/!?]")


def no_markup(_form, field) -> None:
    if isinstance(field.data, str) and MARKUP.search(field.data):
        raise ValidationError(_l("Please remove the signs < and > from this text."))


class PublicForm(FlaskForm):
    class Meta:
        csrf = False  # see security.public_forms

    form_token = HiddenField()
    lang = HiddenField()


class PublicReportForm(PublicForm):
    violence_type = SelectField(_l("What happened?"), choices=enum_options(ViolenceType),
                                validators=[DataRequired(REQUIRED)])
    region_id = SelectField(_l("Where? Region or governorate"), coerce=coerce_int_or_none,
                            validators=[DataRequired(REQUIRED)])
    incident_place = SelectField(_l("Setting"), choices=enum_options(IncidentPlace), validators=[Optional()])
    incident_date = DayFirstDateField(_l("When? (day/month/year, if you know)"), validators=[Optional()])
    ongoing = BooleanField(_l("It is still going on"))
    danger_now = BooleanField(_l("Someone is in danger right now"))
    reporter_role = RadioField(_l("Who is writing?"),
                               choices=options((r.value, lazy_label(r.value, "reporter.")) for r in ReporterRole),
                               validators=[DataRequired(REQUIRED)])
    narrative = TextAreaField(_l("Tell us what happened, in your own words"),
                              validators=[DataRequired(REQUIRED), Length(max=NARRATIVE_MAX), no_markup])
    contact = StringField(_l("Phone or e-mail to reach you (optional)"),
                          validators=[Optional(), Length(max=CONTACT_MAX), no_markup],
                          render_kw={"autocomplete": "off"})
    contact_instructions = StringField(_l("How to reach you safely (optional)"),
                                       description=_l("For example: only in the morning, never leave a message."),
                                       validators=[Optional(), Length(max=CONTACT_MAX), no_markup],
                                       render_kw={"autocomplete": "off"})
    share_with_authority = BooleanField(_l("I agree that what I wrote is passed to the police or the "
                                           "public prosecution if the association thinks it is needed"))
    authority_may_contact = BooleanField(_l("I agree that they contact me"))
    #: A honeypot: hidden from people, filled in by form-filling robots.
    website = StringField(_l("Leave this field empty"), validators=[Optional()])


class StatusForm(PublicForm):
    code = StringField(_l("Receipt code"), validators=[DataRequired(REQUIRED), Length(max=40)],
                       render_kw={"autocomplete": "off", "dir": "ltr", "autocapitalize": "characters"})
    passphrase = StringField(_l("Passphrase"), validators=[DataRequired(REQUIRED), Length(max=40)],
                             render_kw={"autocomplete": "off", "dir": "ltr", "autocapitalize": "characters"})


class AddInformationForm(PublicForm):
    access = HiddenField()
    text = TextAreaField(_l("Add information"), validators=[DataRequired(REQUIRED), Length(max=ADDITION_MAX),
                                                            no_markup])
