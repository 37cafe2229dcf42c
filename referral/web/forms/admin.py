"""Forms of the administrator's account pages, and the words for the account service's refusals."""

from __future__ import annotations

from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ...labels import label
from ...models.vocab import Role
from ...services import directory
from ...translation import lazy_gettext as _l

REQUIRED = _l("This field is required.")

#: (field, code) of `AccountError` -> message shown next to that field.
ACCOUNT_ERRORS = {
    ("username", "invalid"): _l("Use only letters, digits, dots, hyphens and underscores (80 at most)."),
    ("username", "taken"): _l("This username is already used by another account."),
    ("roles", "required"): _l("Choose at least one role."),
    ("roles", "incompatible"): _l(
        "Caseworker and officer read survivor files: they cannot be combined with coordinator, auditor "
        "or administrator."),
    ("roles", "network_only"): _l("Coordinators, auditors and administrators belong to the network."),
    ("roles", "caseworker_association_only"): _l("Caseworkers belong to an association."),
    ("agency_id", "not_network"): _l(
        "Caseworkers and officers belong to an association or a public service, not to the network."),
    ("roles", "lead_needs_staff_role"): _l("A lead is a caseworker or an officer of her agency."),
    ("user", "cannot_disable_self"): _l("You cannot disable your own account."),
    ("user", "already_pending"): _l("The same change already waits for a lead's approval."),
    ("user", "already_lead"): _l("She is already a lead of her agency."),
    ("user", "not_lead"): _l("She is not a lead of her agency."),
    ("user", "needs_approval"): _l("This account reaches survivor files: a lead of its agency must approve."),
    ("user", "no_approval_needed"): _l("This account reaches no survivor file: no approval is needed."),
    ("approval", "already_decided"): _l("This request was already decided."),
    ("approval", "expired"): _l("This request is too old to be approved: the administrator must ask again."),
}


def account_error_message(field: str, code: str) -> str:
    return str(ACCOUNT_ERRORS.get((field, code), _l("This value is not accepted.")))


def coerce_int_or_none(value):
    if value in (None, "", "None"):
        return None
    return int(value)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def role_choices() -> list[tuple[str, str]]:
    return [(r.value, label(r.value)) for r in Role]


def agency_choices(blank: str = "—") -> list[tuple]:
    """Every agency, the network included (its staff are coordinators, auditors, admins)."""
    lang = str(get_locale())
    return [("", blank)] + [(a.id, f"{a.name(lang)} ({a.code})") for a in directory.agencies()]


def region_choices() -> list[tuple]:
    lang = str(get_locale())
    return [("", _l("None (national)"))] + [(r.id, r.name(lang)) for r in directory.regions()]


class UserFilterForm(FlaskForm):
    """The account list's filters: read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(_l("Username contains"), validators=[Optional(), Length(max=80)],
                    render_kw={"dir": "ltr", "autocapitalize": "none", "type": "search"})
    agency = SelectField(_l("Agency"), coerce=coerce_int_or_none, validators=[Optional()])
    role = SelectField(_l("Role"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.agency.choices = agency_choices(blank=str(_l("All agencies")))
        self.role.choices = [("", str(_l("All roles")))] + role_choices()


class NewUserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(REQUIRED), Length(max=80)],
                           render_kw={"dir": "ltr", "autocapitalize": "none", "autocomplete": "off"})
    display_name = StringField(_l("Name shown to colleagues"), validators=[DataRequired(REQUIRED), Length(max=200)],
                               render_kw={"autocomplete": "off"})
    email = StringField(_l("Email (for notifications)"),
                        validators=[Optional(), Length(max=254),
                                    Email(message=_l("This is not a valid email address."),
                                          check_deliverability=False)],
                        render_kw={"dir": "ltr", "type": "email", "autocomplete": "off"})
    agency_id = SelectField(_l("Agency"), coerce=coerce_int_or_none, validators=[DataRequired(REQUIRED)])
    roles = MultiCheckboxField(_l("Roles"), validators=[DataRequired(_l("Choose at least one role."))])
    region_id = SelectField(_l("Region watched"), coerce=coerce_int_or_none, validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.agency_id.choices = agency_choices()
        self.roles.choices = role_choices()
        self.region_id.choices = region_choices()

    def validate_region_id(self, field):
        if field.data is not None and Role.COORDINATOR.value not in (self.roles.data or []):
            raise ValidationError(_l("Only a coordinator watches one region."))
