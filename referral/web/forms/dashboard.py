"""The coordinator's dashboard filters (query string: bookmarkable, shared with the CSV and the
drill-downs) and the nudge forms."""

from __future__ import annotations

from datetime import date, timedelta

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired, Optional, ValidationError

from ...models import User
from ...models.base import utcnow
from ...models.vocab import ServiceCategory, Urgency
from ...services import directory
from ...services.metrics import DEFAULT_PERIOD_DAYS, MAX_PERIOD_DAYS, MetricsFilter
from ...translation import lazy_gettext as _l
from . import DayFirstDateField, enum_options, options
from .cases import REQUIRED, coerce_int_or_none

#: Query-string names of the filters, in the order links carry them.
FILTER_ARGS = ("date_from", "date_to", "region", "agency", "category", "urgency")


class DashboardFilterForm(FlaskForm):
    class Meta:
        csrf = False

    date_from = DayFirstDateField(_l("From"), validators=[Optional()])
    date_to = DayFirstDateField(_l("To (included)"), validators=[Optional()])
    region = SelectField(_l("Region"), coerce=coerce_int_or_none, validators=[Optional()])
    agency = SelectField(_l("Receiving agency"), coerce=coerce_int_or_none, validators=[Optional()])
    category = SelectField(_l("Service"), validators=[Optional()])
    urgency = SelectField(_l("Urgency"), validators=[Optional()])

    def __init__(self, user: User, lang: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A regional coordinator's figures are her region's: offer nothing else.
        self.region.choices = options([("", _l("All regions"))] + [
            (r.id, r.name(lang)) for r in directory.regions(user.region_id)])
        self.agency.choices = options([("", _l("All agencies"))] + [
            (a.id, a.name(lang)) for a in sorted(directory.agencies(network=False, region_id=user.region_id),
                                                 key=lambda a: a.code)])
        self.category.choices = options([("", _l("All services"))]) + enum_options(ServiceCategory, blank=False)
        self.urgency.choices = options([("", _l("All urgencies"))]) + enum_options(Urgency, blank=False)
        # Show the default period in the date inputs (but never replace what was typed, even wrong).
        first, last = self.period()
        if not self.date_to.raw_data:
            self.date_to.data = last
        if not self.date_from.raw_data:
            self.date_from.data = first

    def validate_date_to(self, field):
        first, last = self.period()
        if last < first:
            raise ValidationError(_l("The end date is before the start date."))
        if (last - first).days + 1 > MAX_PERIOD_DAYS:
            raise ValidationError(_l("Choose a period of at most %(days)d days.", days=MAX_PERIOD_DAYS))

    def period(self, today: date | None = None) -> tuple[date, date]:
        """The chosen days, both included; by default the last 90 days."""
        today = today or utcnow().date()
        last = self.date_to.data or today
        first = self.date_from.data or last - timedelta(days=DEFAULT_PERIOD_DAYS)
        return first, last

    def filters(self) -> MetricsFilter:
        first, last = self.period()
        return MetricsFilter.for_dates(
            first, last, region_id=self.region.data, agency_id=self.agency.data,
            category=ServiceCategory(self.category.data) if self.category.data else None,
            urgency=Urgency(self.urgency.data) if self.urgency.data else None)


class RemindForm(FlaskForm):
    #: Where to come back to (a dashboard page); anything else falls back to the referral's page.
    next = HiddenField()


class ReassignForm(FlaskForm):
    service_id = SelectField(_l("Send it to"), coerce=coerce_int_or_none, validators=[DataRequired(REQUIRED)])
