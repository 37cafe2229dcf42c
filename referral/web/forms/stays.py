"""Forms of shelter places and stays."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from ...models.vocab import ExitDestination, ExitOutcome
from ...translation import lazy_gettext as _l
from . import DayFirstDateField, enum_options
from .cases import REQUIRED


class AdmitForm(FlaskForm):
    admitted_on = DayFirstDateField(_l("Admitted on"), validators=[DataRequired(REQUIRED)])
    children = IntegerField(_l("Children admitted with her"), default=0,
                            validators=[InputRequired(REQUIRED), NumberRange(min=0, max=20)])
    accessible_room = BooleanField(_l("She needs an accessible room"))


class GivenForm(FlaskForm):
    code = SelectField(_l("Essential service"), validators=[DataRequired(REQUIRED)])
    given_on = DayFirstDateField(_l("Given on"), validators=[DataRequired(REQUIRED)])


class ExtensionForm(FlaskForm):
    days = IntegerField(_l("Extend by (days)"), validators=[InputRequired(REQUIRED), NumberRange(min=1, max=365)])


class ExitForm(FlaskForm):
    exited_on = DayFirstDateField(_l("Left on"), validators=[DataRequired(REQUIRED)])
    destination = SelectField(_l("Where she went"), choices=enum_options(ExitDestination, "exit_"),
                              validators=[DataRequired(REQUIRED)])
    outcome = SelectField(_l("Outcome of the stay"), choices=enum_options(ExitOutcome, "outcome_"),
                          validators=[DataRequired(REQUIRED)])


class CapacityForm(FlaskForm):
    beds = IntegerField(_l("Beds"), validators=[InputRequired(REQUIRED), NumberRange(min=0, max=10000)])
    child_places = IntegerField(_l("Places for accompanying children"),
                                validators=[InputRequired(REQUIRED), NumberRange(min=0, max=10000)])
    accessible_rooms = IntegerField(_l("Accessible rooms (counted among the beds)"),
                                    validators=[InputRequired(REQUIRED), NumberRange(min=0, max=10000)])
    max_stay_days = IntegerField(_l("Maximum stay (days)"), default=90,
                                 validators=[InputRequired(REQUIRED), NumberRange(min=1, max=3650)])
