"""SLA policies: the time limits per urgency, and per service where one differs. Coordinators and
administrators edit them; every change is audited and applies to the referrals already open."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_decimal

from ..models.vocab import ServiceCategory, SlaClock, Urgency
from ..policy import Action
from ..services import sla_policies
from ..services.sla_policies import PolicyInputError, in_best_unit
from ..translation import gettext as _
from ..translation import ngettext
from .access import guard
from .forms.sla_policies import POLICY_ERRORS, NewPolicyForm, PolicyForm
from .refusals import discard_refused_changes, form_page

bp = Blueprint("sla", __name__, url_prefix="/sla-policies")


@bp.before_request
def require_sla_manage():
    guard(Action.SLA_MANAGE)


@bp.get("/")
def index():
    return render_template("sla/index.html", rows=sla_policies.list_policies(g.user))


@bp.route("/<int:policy_id>", methods=["GET", "POST"])
def edit(policy_id: int):
    policy = sla_policies.get_policy(policy_id)
    if policy is None:
        abort(404)
    form = PolicyForm()
    if request.method == "GET":
        form.fill(sla_policies.values_of(policy))
    elif form.validate_on_submit():
        try:
            changed = sla_policies.update_policy(g.user, policy, form.values(policy.urgency))
        except PolicyInputError as exc:
            _show_error(form, exc)
        else:
            flash(_("The time limits were saved and applied to the open referrals.") if changed
                  else _("Nothing was changed."), "success")
            return redirect(url_for("sla.index"))
    return form_page("sla/edit.html", form=form, policy=policy, emergency=policy.urgency == Urgency.EMERGENCY)


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = NewPolicyForm()
    if request.method == "GET":
        urgency = request.args.get("urgency") if request.args.get("urgency") in set(Urgency) else Urgency.URGENT
        category = request.args.get("category") if request.args.get("category") in set(ServiceCategory) else None
        form.urgency.data, form.service_category.data = urgency, category or ""
        form.fill(sla_policies.effective_values(Urgency(urgency), ServiceCategory(category) if category else None))
    elif form.validate_on_submit():
        try:
            sla_policies.create_policy(g.user, form.urgency.data, form.service_category.data or None,
                                       form.values(form.urgency.data))
        except PolicyInputError as exc:
            _show_error(form, exc)
        else:
            flash(_("The time limits were saved and applied to the open referrals."), "success")
            return redirect(url_for("sla.index"))
    return form_page("sla/edit.html", form=form, policy=None, emergency=form.urgency.data == Urgency.EMERGENCY)


def _show_error(form: PolicyForm, exc: PolicyInputError) -> None:
    discard_refused_changes()
    field = form.service_category if exc.field == "service_category" else form.field_for(exc.field)
    field.errors = [*field.errors, str(POLICY_ERRORS.get(exc.code, _("This value is not accepted.")))]


@bp.app_template_filter("sla_limit")
def sla_limit(minutes: int, clock) -> str:
    """A stored limit as people say it: "3 business days", "4 hours"."""
    amount, unit = in_best_unit(minutes, clock)
    n = int(amount)
    if unit == "days" and SlaClock(clock) == SlaClock.BUSINESS:
        return ngettext("%(count)s business day", "%(count)s business days", n, count=format_decimal(n))
    if unit == "days":
        return ngettext("%(count)s day", "%(count)s days", n, count=format_decimal(n))
    if unit == "hours":
        return ngettext("%(count)s hour", "%(count)s hours", n, count=format_decimal(n))
    return ngettext("%(count)s minute", "%(count)s minutes", n, count=format_decimal(n))
