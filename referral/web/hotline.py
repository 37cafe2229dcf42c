"""Hotline pages: take a call in a few fields, and the file and its referral exist."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, url_for

from ..models import Service
from ..models.vocab import IntakeChannel
from ..policy import Action
from ..services.directory import find_services, get_service
from ..services.errors import InputError, input_error_message
from ..services.hotline import REPORT_CATEGORIES, take_call
from ..translation import gettext as _
from ..workflows.errors import WorkflowError
from .access import guard
from .choices import region_choices, service_choices
from .forms.hotline import SUPPORT_NEEDS, ReportForm, SupportForm
from .refusals import discard_refused_changes, form_page

bp = Blueprint("hotline", __name__, url_prefix="/hotline")


def _services(categories) -> list[Service]:
    found = []
    for category in categories:
        found += find_services(category=category, exclude_agency_id=g.user.agency_id)
    return found


def _handle(form, channel: IntakeChannel, categories, template: str):
    guard(Action.CASE_CREATE)
    form.region_id.choices = region_choices()
    services = _services(categories)
    form.service_id.choices = service_choices(services)
    if form.validate_on_submit():
        identity = {name: getattr(form, name).data or None
                    for name in ("full_name", "phone", "contact_instructions", "address", "narrative")}
        details = {"region_id": form.region_id.data}
        if hasattr(form, "violence_type"):
            details["violence_type"] = form.violence_type.data
        try:
            case, referral, duplicates = take_call(
                g.user, channel=channel, identity=identity, details=details,
                service=get_service(form.service_id.data), consent=form.consent.data,
                need_check=tuple(categories))
        except (InputError, WorkflowError) as exc:
            discard_refused_changes()
            field = getattr(form, getattr(exc, "field", "") or "", None) or form.service_id
            field.errors = list(field.errors) + [input_error_message(exc.code)]
        else:
            flash(_("File %(number)s opened and referral %(ref)s sent.", number=case.case_number,
                    ref=referral.reference), "success")
            if duplicates:
                flash(_("Possible duplicate: another association may already support her."), "warning")
            return redirect(url_for("referrals.show", referral_id=referral.id))
    return form_page(template, form=form)


@bp.route("/report", methods=["GET", "POST"])
def report():
    return _handle(ReportForm(), IntakeChannel.HOTLINE_REPORT, REPORT_CATEGORIES, "hotline/report.html")


@bp.route("/support", methods=["GET", "POST"])
def support():
    form = SupportForm()
    categories = [form.need.data] if form.is_submitted() and form.need.data else [c.value for c in SUPPORT_NEEDS]
    return _handle(form, IntakeChannel.HOTLINE_SUPPORT, categories, "hotline/support.html")
