"""Forms of the supervisor's pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from ...labels import lazy_label
from ...models.approval import CASEWORK_STEPS
from ...translation import lazy_gettext as _l
from . import options
from .cases import MultiCheckboxField


class StepsForm(FlaskForm):
    steps = MultiCheckboxField(_l("Steps that need a supervisor's approval"),
                               choices=options((step, lazy_label(step, "step_")) for step in CASEWORK_STEPS))


class DecisionForm(FlaskForm):
    comment = TextAreaField(_l("Your comments (required to return it)"), validators=[Optional(), Length(max=2000)],
                            render_kw={"rows": 2})


class ErasureRequestForm(FlaskForm):
    confirm = BooleanField(_l("She asked that her file be erased. Once it is, nothing of her can be read again, by "
                              "anyone; the counts stay."))


class CarryOutErasureForm(FlaskForm):
    case_number = StringField(_l("Type the file's number to confirm"), validators=[Length(max=40)],
                              render_kw={"dir": "ltr", "autocomplete": "off"})
