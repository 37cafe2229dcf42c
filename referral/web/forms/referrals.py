"""Forms of referring and of working a referral."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ...models.vocab import DeclineReason, ServiceCategory, SharedField, Urgency
from ...translation import lazy_gettext as _l
from . import DayFirstDateTimeField, options
from .cases import REQUIRED, MultiCheckboxField, _choices, coerce_int_or_none

DECLINE_LABELS = {
    "out_of_scope": _l("Outside what we offer"),
    "no_capacity": _l("No capacity now"),
    "outside_area": _l("Outside our area"),
    "insufficient_information": _l("Not enough information"),
    "survivor_unreachable": _l("Could not reach her"),
    "other": _l("Other (explain)"),
}


class ReferForm(FlaskForm):
    need = SelectField(_l("Need"), choices=_choices(ServiceCategory), validators=[Optional()])
    region_id = SelectField(_l("Region"), coerce=coerce_int_or_none, validators=[Optional()])
    service_id = SelectField(_l("Service"), coerce=coerce_int_or_none, validators=[DataRequired(REQUIRED)])
    urgency = SelectField(_l("Urgency"), choices=_choices(Urgency, blank=False), default=Urgency.STANDARD.value)
    shared_fields = MultiCheckboxField(_l("Information shared with the receiving agency"),
                                       choices=_choices(SharedField, blank=False))
    record_consent = BooleanField(_l("She gave her informed consent to share this with this agency now"))
    assault_at = DayFirstDateTimeField(_l("When did the assault happen? (local time)"), validators=[Optional()])
    message = TextAreaField(_l("Message to the receiving agency"), validators=[Optional(), Length(max=5000)])
    send_to_full = BooleanField(_l("Send to this shelter even though it is full (they agreed on the phone)"))


class TransitionForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    version = HiddenField(validators=[DataRequired()])
    reason = SelectField(_l("Reason"), choices=options([(r.value, DECLINE_LABELS[r.value]) for r in DeclineReason],
                                                       blank=True), validators=[Optional()])
    message = TextAreaField(_l("Message"), validators=[Optional(), Length(max=5000)])


class PartnerLetterForm(FlaskForm):
    """The letter for a partner outside Masar: in the language the partner reads."""

    language = SelectField(_l("Language of the letter"),
                           choices=options([("fr", "Français"), ("ar", "العربية"), ("en", "English")]), default="fr")
