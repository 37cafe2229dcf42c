"""The administrator's page deciding who may ask for emergency access: kinds of agency x roles."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from ..models.vocab import Role, ServiceCategory
from ..policy import Action
from ..services import emergency_rules
from ..translation import gettext as _
from .access import guard
from .refusals import REFUSED

bp = Blueprint("emergency_rules", __name__, url_prefix="/admin/emergency-access")


@bp.before_request
def require_admin():
    guard(Action.USERS_MANAGE)


@bp.get("")
def index():
    return _page(emergency_rules.current_rules())


@bp.post("")
def save():
    rules, unknown = _parse(request.form.getlist("rule"))
    if unknown:
        flash(_("This value is not accepted."), "error")
        return _page(rules, status=REFUSED)
    if emergency_rules.set_rules(g.user, rules):
        flash(_("Saved. The auditors were told of the change."), "success")
    else:
        flash(_("Nothing changed."), "success")
    return redirect(url_for("emergency_rules.index"))


def _parse(values: list[str]) -> tuple[set, list[str]]:
    rules, unknown = set(), []
    for value in values:
        category, _sep, role = value.partition(":")
        try:
            rule = (ServiceCategory(category), Role(role))
        except ValueError:
            unknown.append(value)
            continue
        if rule[1] not in emergency_rules.ELIGIBLE_ROLES:
            unknown.append(value)
        else:
            rules.add(rule)
    return rules, unknown


def _page(rules, status: int = 200):
    return render_template("admin/emergency_rules.html", rules=rules, categories=list(ServiceCategory),
                           roles=emergency_rules.ELIGIBLE_ROLES, defaults=emergency_rules.DEFAULTS), status
