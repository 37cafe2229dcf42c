"""Forms of the triage of public reports."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from ...labels import lazy_label
from ...services.public_reports import ADDITION_MAX
from ...services.report_triage import CLOSE_OUTCOMES
from ...translation import lazy_gettext as _l
from . import options
from .cases import REQUIRED, coerce_int_or_none


class ActionForm(FlaskForm):
    """A button: claim, open a file, record an anonymous case (CSRF only)."""


class MessageForm(FlaskForm):
    text = TextAreaField(_l("Message the reporter will read on her status page"),
                         description=_l("Write nothing she would not want someone else holding her phone to read."),
                         validators=[DataRequired(REQUIRED), Length(max=ADDITION_MAX)])


class AlertForm(FlaskForm):
    service_id = SelectField(_l("Authority"), coerce=coerce_int_or_none, validators=[DataRequired(REQUIRED)])


class CloseForm(FlaskForm):
    outcome = SelectField(_l("Why close it"), validators=[DataRequired(REQUIRED)],
                          choices=options((o.value, lazy_label(o.value, "outcome.")) for o in CLOSE_OUTCOMES))
