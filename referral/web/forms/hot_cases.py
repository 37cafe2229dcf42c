"""Forms of hot cases: flagging (a file, a referral by its reference) and the coalition's decisions."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ...labels import lazy_label
from ...models.hot_case import DECISION_KINDS, HOT_CASE_REASONS
from ...services.hot_cases import DEFAULT_REVIEW_DAYS, TEXT_MAX
from ...translation import lazy_gettext as _l
from . import options

REQUIRED = _l("This field is required.")
REVIEW_DAYS = _l("Choose a review interval between 1 and 90 days.")


class FlagFileForm(FlaskForm):
    reason = SelectField(_l("Why the coalition should follow it"), validators=[DataRequired(REQUIRED)],
                         choices=options([(r, lazy_label(r, "hot_")) for r in HOT_CASE_REASONS], blank=True))
    comment = TextAreaField(_l("What the coalition needs to know (no name, no address; encrypted)"),
                            validators=[Optional(), Length(max=TEXT_MAX)])
    review_every_days = IntegerField(_l("Review every (days)"), default=DEFAULT_REVIEW_DAYS,
                                     validators=[DataRequired(REVIEW_DAYS), NumberRange(1, 90, REVIEW_DAYS)])


class FlagReferralForm(FlagFileForm):
    reference = StringField(_l("Referral reference"), validators=[DataRequired(REQUIRED), Length(max=32)],
                            description=_l("As the dashboard shows it, like REF-2026-000123."))


class HotCaseDecisionForm(FlaskForm):
    kind = SelectField(_l("Decision"), validators=[DataRequired(REQUIRED)],
                       choices=options([(k, lazy_label(k, "hot_decision_")) for k in DECISION_KINDS]))
    text = TextAreaField(_l("What the coalition decided, and who does what (encrypted)"),
                         validators=[DataRequired(REQUIRED), Length(max=TEXT_MAX)])
    review_every_days = IntegerField(_l("Review every (days)"),
                                     validators=[Optional(), NumberRange(1, 90, REVIEW_DAYS)],
                                     description=_l("Leave it as it is to keep the interval."))
    version = HiddenField()
