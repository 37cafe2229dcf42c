"""Forms for managing the directory."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from ...labels import lazy_label
from ...models.service import SERVICE_LANGUAGES
from ...models.vocab import AgencyKind, ServiceCategory
from ...translation import lazy_gettext as _l
from . import DayFirstDateField, enum_options, options
from .cases import REQUIRED, MultiCheckboxField, coerce_int_or_none

DAY_LABELS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
              _l("Sunday"))


class AgencyForm(FlaskForm):
    code = StringField(_l("Short code"), validators=[DataRequired(REQUIRED), Length(max=32)], render_kw={"dir": "ltr"})
    kind = SelectField(_l("Kind"), choices=enum_options(AgencyKind, blank=False))
    sector = StringField(_l("Sector"), validators=[DataRequired(REQUIRED), Length(max=64)])
    name_ar = StringField(_l("Name in Arabic"), validators=[DataRequired(REQUIRED), Length(max=300)],
                          render_kw={"dir": "rtl", "lang": "ar"})
    name_fr = StringField(_l("Name in French"), validators=[DataRequired(REQUIRED), Length(max=300)],
                          render_kw={"dir": "ltr", "lang": "fr"})
    name_en = StringField(_l("Name in English"), validators=[DataRequired(REQUIRED), Length(max=300)],
                          render_kw={"dir": "ltr", "lang": "en"})
    region_id = SelectField(_l("Region"), coerce=coerce_int_or_none, validators=[Optional()])
    phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=40)], render_kw={"dir": "ltr"})
    email = StringField(_l("Email"), validators=[Optional(), Email(message=_l("Not a valid email address.")),
                                                 Length(max=254)], render_kw={"dir": "ltr"})
    address = StringField(_l("Address"), validators=[Optional(), Length(max=500)])
    timezone = StringField(_l("Time zone"), default="Africa/Casablanca", validators=[DataRequired(REQUIRED)],
                           render_kw={"dir": "ltr"})
    open_24_7 = BooleanField(_l("Open around the clock (emergency service)"))
    step_free_access = BooleanField(_l("Step-free access (wheelchair)"))
    accessible_toilet = BooleanField(_l("Accessible toilet"))
    sign_language = BooleanField(_l("Staff who use sign language"))
    external_partner = BooleanField(_l("A partner outside Masar (no accounts): referrals go by printed letter and "
                                       "a one-time address"))
    active = BooleanField(_l("Active"), default=True)
    hours_0 = StringField(DAY_LABELS[0], render_kw={"dir": "ltr", "placeholder": "08:30-16:30"})
    hours_1 = StringField(DAY_LABELS[1], render_kw={"dir": "ltr"})
    hours_2 = StringField(DAY_LABELS[2], render_kw={"dir": "ltr"})
    hours_3 = StringField(DAY_LABELS[3], render_kw={"dir": "ltr"})
    hours_4 = StringField(DAY_LABELS[4], render_kw={"dir": "ltr"})
    hours_5 = StringField(DAY_LABELS[5], render_kw={"dir": "ltr"})
    hours_6 = StringField(DAY_LABELS[6], render_kw={"dir": "ltr"})


class ServiceForm(FlaskForm):
    category = SelectField(_l("Kind of service"), choices=enum_options(ServiceCategory, blank=False))
    name_ar = StringField(_l("Name in Arabic"), validators=[DataRequired(REQUIRED), Length(max=300)],
                          render_kw={"dir": "rtl", "lang": "ar"})
    name_fr = StringField(_l("Name in French"), validators=[DataRequired(REQUIRED), Length(max=300)],
                          render_kw={"dir": "ltr", "lang": "fr"})
    name_en = StringField(_l("Name in English"), validators=[DataRequired(REQUIRED), Length(max=300)],
                          render_kw={"dir": "ltr", "lang": "en"})
    regions = MultiCheckboxField(_l("Regions covered"), coerce=int)
    languages = MultiCheckboxField(_l("Languages she can be received in"),
                                   choices=options((code, lazy_label(code, "language.")) for code in SERVICE_LANGUAGES))
    active = BooleanField(_l("Active"), default=True)


class HolidayForm(FlaskForm):
    day = DayFirstDateField(_l("Date"), validators=[DataRequired(REQUIRED)])
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    region_id = SelectField(_l("Region (empty: the whole country)"), coerce=coerce_int_or_none,
                            validators=[Optional()])
    agency_id = SelectField(_l("Agency (empty: every agency)"), coerce=coerce_int_or_none, validators=[Optional()])


class HsdsImportForm(FlaskForm):
    document = FileField(_l("HSDS 3.0 file (JSON)"), validators=[FileRequired(REQUIRED)])
