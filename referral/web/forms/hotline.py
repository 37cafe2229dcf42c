"""The hotline's two quick intakes: a report of violence, and a request for support."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ...labels import lazy_label
from ...models.vocab import ServiceCategory, ViolenceType
from ...translation import lazy_gettext as _l
from . import options
from .cases import REQUIRED, _choices, coerce_int_or_none

SUPPORT_NEEDS = (ServiceCategory.ECONOMIC, ServiceCategory.SOCIAL, ServiceCategory.PSYCHOSOCIAL,
                 ServiceCategory.LEGAL, ServiceCategory.SHELTER)


class HotlineForm(FlaskForm):
    full_name = StringField(_l("Name (if she gives it)"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("Phone number to call back"), validators=[Optional(), Length(max=40)],
                        render_kw={"dir": "ltr", "inputmode": "tel", "autocomplete": "off"})
    contact_instructions = StringField(_l("How to call her back safely"), validators=[Optional(), Length(max=300)])
    address = StringField(_l("Where is she now?"), validators=[Optional(), Length(max=300)])
    region_id = SelectField(_l("Region"), coerce=coerce_int_or_none, validators=[DataRequired(REQUIRED)])
    narrative = TextAreaField(_l("What she says"), validators=[Optional(), Length(max=20000)])
    service_id = SelectField(_l("Refer to"), coerce=coerce_int_or_none, validators=[DataRequired(REQUIRED)])
    consent = BooleanField(
        _l("She agrees that her name, contact and account of the violence are shared with this service"))


class ReportForm(HotlineForm):
    violence_type = SelectField(_l("Type of violence (GBVIMS)"), choices=_choices(ViolenceType),
                                validators=[DataRequired(REQUIRED)])


class SupportForm(HotlineForm):
    need = SelectField(_l("She asks for"), choices=options([(c.value, lazy_label(c.value)) for c in SUPPORT_NEEDS]),
                       validators=[DataRequired(REQUIRED)])
