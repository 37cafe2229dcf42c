"""Forms of the SLA policies: each limit typed as an amount and a unit, stored in minutes."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DecimalField, RadioField, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional

from ...models.vocab import ServiceCategory, SlaClock, Urgency
from ...services.sla_policies import PolicyValues, in_best_unit, to_minutes
from ...translation import lazy_gettext as _l
from . import enum_options, options
from .cases import REQUIRED

UNITS = options([("minutes", _l("minutes")), ("hours", _l("hours")), ("days", _l("days"))])
CALENDAR_UNITS = options([("hours", _l("hours")), ("days", _l("days"))])
POSITIVE = NumberRange(min=0, message=_l("Give a positive number."))
#: Form field prefix of each stored limit.
PREFIXES = {"acknowledge_minutes": "acknowledge", "decide_minutes": "decide",
            "first_action_minutes": "first_action", "complete_minutes": "complete",
            "stalled_after_minutes": "stalled"}

POLICY_ERRORS = {
    "required": REQUIRED,
    "too_short": _l("Give at least one minute."),
    "too_long": _l("Give at most one year."),
    "shorter_than_previous": _l("This cannot be shorter than the step before it."),
    "exists": _l("There are already limits for this urgency and service: edit them instead."),
}


def _amount(label, required=True):
    return DecimalField(label, places=None, validators=[InputRequired(REQUIRED) if required else Optional(), POSITIVE],
                        render_kw={"inputmode": "decimal", "dir": "ltr"})


class PolicyForm(FlaskForm):
    clock = RadioField(_l("Counted in"), choices=options([
        (SlaClock.BUSINESS.value, _l("Opening hours of the receiving agency (a day is 8 opening hours)")),
        (SlaClock.WALL.value, _l("Calendar time, around the clock"))]), default=SlaClock.BUSINESS.value)
    acknowledge_amount = _amount(_l("To acknowledge receipt"))
    acknowledge_unit = SelectField(_l("Unit"), choices=UNITS)
    decide_amount = _amount(_l("To accept or decline"))
    decide_unit = SelectField(_l("Unit"), choices=UNITS)
    first_action_amount = _amount(_l("To first action"))
    first_action_unit = SelectField(_l("Unit"), choices=UNITS)
    complete_amount = _amount(_l("To completion (optional)"), required=False)
    complete_unit = SelectField(_l("Unit"), choices=UNITS)
    stalled_amount = _amount(_l("A file counts as stalled after this long without activity"))
    stalled_unit = SelectField(_l("Unit"), choices=CALENDAR_UNITS)

    def fill(self, values: PolicyValues) -> None:
        """Initial values: each limit in the largest unit that shows it exactly."""
        self.clock.data = SlaClock(values.clock).value
        for name, prefix in PREFIXES.items():
            clock = SlaClock.WALL if name == "stalled_after_minutes" else values.clock
            amount, unit = in_best_unit(getattr(values, name), clock)
            if name == "stalled_after_minutes" and unit == "minutes":
                amount, unit = round(amount / 60, 2), "hours"
            getattr(self, f"{prefix}_amount").data = amount
            getattr(self, f"{prefix}_unit").data = unit

    def values(self, urgency: Urgency | str) -> PolicyValues:
        # Emergencies always count calendar time: their "days" are whole days.
        clock = SlaClock.WALL if Urgency(urgency) == Urgency.EMERGENCY else SlaClock(self.clock.data)
        minutes = {}
        for name, prefix in PREFIXES.items():
            amount = getattr(self, f"{prefix}_amount").data
            unit_clock = SlaClock.WALL if name == "stalled_after_minutes" else clock
            minutes[name] = None if amount is None else to_minutes(amount, getattr(self, f"{prefix}_unit").data,
                                                                    unit_clock)
        return PolicyValues(clock=clock, **minutes)

    def field_for(self, name: str):
        """The amount field where an error about stored limit `name` is shown."""
        return getattr(self, f"{PREFIXES.get(name, 'acknowledge')}_amount")


class NewPolicyForm(PolicyForm):
    urgency = SelectField(_l("Urgency"), choices=enum_options(Urgency, blank=False))
    service_category = SelectField(_l("Service"), validators=[Optional()],
                                   choices=options([("", _l("All services (the urgency's general limits)"))])
                                   + enum_options(ServiceCategory, blank=False))

