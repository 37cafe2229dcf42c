"""The service directory: who offers what, in which regions."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale

from ..models import Agency, Holiday, Service
from ..models.base import utcnow
from ..models.service import SERVICE_LANGUAGES
from ..models.vocab import AgencyKind, ServiceCategory
from ..policy import Action
from ..policy.core import has_role_for
from ..services import capacity as places
from ..services import directory, directory_admin
from ..services.directory import ACCESSIBILITY, find_services, open_now
from ..services.directory_admin import format_hours
from ..services.errors import InputError, input_error_message
from ..services.records import get_record
from ..translation import gettext as _
from .access import guard
from .choices import agency_choices, region_choices
from .forms import options
from .forms.auth import ConfirmForm
from .forms.directory import AgencyForm, HolidayForm, ServiceForm
from .refusals import form_page

bp = Blueprint("directory", __name__, url_prefix="/directory")


@bp.get("/")
def index():
    guard(Action.DIRECTORY_READ)
    category = request.args.get("category") or None
    if category not in {c.value for c in ServiceCategory}:
        category = None
    region_id = request.args.get("region_id", type=int)
    only_open = request.args.get("open_now") == "1"
    language = request.args.get("language") if request.args.get("language") in SERVICE_LANGUAGES else None
    accessibility = tuple(f for f in ACCESSIBILITY if request.args.get(f) == "1")
    services = find_services(category=category, region_id=region_id, language=language, accessibility=accessibility)
    opened = open_now(services)
    if only_open:
        services = [s for s in services if s.agency_id in opened]
    free = places.availability(g.user, [s.id for s in services]) if has_role_for(g.user, Action.CAPACITY_READ) \
        else {}
    return render_template("directory/index.html", services=services, category=category, region_id=region_id,
                           free=free, opened=opened, only_open=only_open, language=language,
                           accessibility=accessibility, languages=SERVICE_LANGUAGES, features=ACCESSIBILITY,
                           regions=region_choices(), categories=[c.value for c in ServiceCategory],
                           can_manage=has_role_for(g.user, Action.DIRECTORY_MANAGE))


# --- Managing the directory (coordinators and administrators) ---------------------------------

def _agency_form(agency=None):
    form = AgencyForm(obj=agency) if request.method == "GET" and agency else AgencyForm()
    form.region_id.choices = region_choices()
    if request.method == "GET" and agency:
        form.kind.data = agency.kind.value
        for day, text in format_hours(agency.opening_hours).items():
            getattr(form, f"hours_{day}").data = text
    elif request.method == "GET":
        for day in range(5):
            getattr(form, f"hours_{day}").data = "08:30-16:30"
    return form


def _agency_values(form) -> dict:
    values = {name: getattr(form, name).data for name in directory_admin.AGENCY_FIELDS}
    for flag in ("open_24_7", "active", "step_free_access", "accessible_toilet", "sign_language", "external_partner"):
        values[flag] = bool(form[flag].data)
    values["phone"] = values["phone"] or None
    values["email"] = values["email"] or None
    values["address"] = values["address"] or None
    return values


@bp.get("/agencies")
def agencies():
    guard(Action.DIRECTORY_MANAGE)
    rows = directory.agencies(network=False)
    return render_template("directory/agencies.html", agencies=rows)


@bp.route("/agencies/new", methods=["GET", "POST"])
@bp.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
def edit_agency(agency_id=None):
    guard(Action.DIRECTORY_MANAGE)
    agency = get_record(Agency, agency_id)
    if agency_id and (agency is None or agency.kind == AgencyKind.NETWORK):
        abort(404)
    form = _agency_form(agency)
    if form.validate_on_submit():
        day_texts = {str(day): getattr(form, f"hours_{day}").data for day in range(7)}
        try:
            saved = directory_admin.save_agency(g.user, agency, _agency_values(form), day_texts)
        except InputError as exc:
            field = getattr(form, exc.field, form.code)
            field.errors = list(field.errors) + [input_error_message(exc.code)]
        else:
            flash(_("Agency saved."), "success")
            return redirect(url_for("directory.edit_agency", agency_id=saved.id))
    return form_page("directory/agency_form.html", form=form, agency=agency)


@bp.route("/agencies/<int:agency_id>/services/new", methods=["GET", "POST"])
@bp.route("/services/<int:service_id>", methods=["GET", "POST"])
def edit_service(agency_id=None, service_id=None):
    guard(Action.DIRECTORY_MANAGE)
    service = get_record(Service, service_id)
    agency = service.agency if service else get_record(Agency, agency_id)
    if agency is None or (service_id and service is None):
        abort(404)
    form = ServiceForm(obj=service) if request.method == "GET" and service else ServiceForm()
    form.regions.choices = options([(r.id, r.name(str(get_locale())))
                                    for r in directory.regions()])
    if request.method == "GET" and service:
        form.category.data = service.category.value
        form.regions.data = [r.id for r in service.regions]
        form.languages.data = service.languages
    elif request.method == "GET":
        form.regions.data = [agency.region_id] if agency.region_id else []
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in ("category", "name_ar", "name_fr", "name_en")}
        values["active"] = bool(form.active.data)
        values["languages"] = form.languages.data or []
        try:
            directory_admin.save_service(g.user, service, agency, values, form.regions.data or [])
        except InputError as exc:
            flash(input_error_message(exc.code), "error")
        else:
            flash(_("Service saved."), "success")
            return redirect(url_for("directory.edit_agency", agency_id=agency.id))
    return form_page("directory/service_form.html", form=form, agency=agency, service=service)


@bp.route("/holidays", methods=["GET", "POST"])
def holidays():
    guard(Action.DIRECTORY_MANAGE)
    form = HolidayForm()
    form.region_id.choices = region_choices()
    form.agency_id.choices = agency_choices()
    if form.validate_on_submit():
        try:
            directory_admin.add_holiday(g.user, day=form.day.data, name=form.name.data,
                                        region_id=form.region_id.data, agency_id=form.agency_id.data)
        except InputError as exc:
            getattr(form, exc.field).errors = [input_error_message(exc.code)]
        else:
            flash(_("Holiday added."), "success")
            return redirect(url_for("directory.holidays"))
    rows = directory.recent_holidays(utcnow().date() - timedelta(days=31))
    return form_page("directory/holidays.html", form=form, holidays=rows, delete_form=ConfirmForm())


@bp.post("/holidays/<int:holiday_id>/delete")
def delete_holiday(holiday_id):
    guard(Action.DIRECTORY_MANAGE)
    holiday = get_record(Holiday, holiday_id)
    if holiday is None:
        abort(404)
    if ConfirmForm().validate_on_submit():
        directory_admin.remove_holiday(g.user, holiday)
        flash(_("Holiday removed."), "success")
    return redirect(url_for("directory.holidays"))
