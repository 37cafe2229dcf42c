"""Shelter places and stays: admit from a referral, record the protocol's services, extend, exit;
declare a shelter's places; the coordinators' occupancy page."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, g, redirect, url_for
from flask_babel import get_locale

from ..models import Stay
from ..policy import Action
from ..services import capacity as places
from ..services import stays
from ..services.directory import get_service
from ..services.errors import InputError, input_error_message
from ..services.records import get_record
from ..translation import gettext as _
from ..translation import ngettext
from .access import guard, load_referral
from .formatting import list_separator
from .forms import options
from .forms.auth import ConfirmForm
from .forms.stays import AdmitForm, CapacityForm, ExitForm, ExtensionForm, GivenForm
from .refusals import discard_refused_changes, form_page, refused_redirect

bp = Blueprint("stays", __name__, url_prefix="/stays")


@bp.app_template_filter("places")
def places_text(free) -> str:
    """Free places in words ("2 beds free, 1 place for a child, 0 accessible rooms"), for staff pages only."""
    if free.beds_free <= 0:
        return _("Full")
    return list_separator().join((
        ngettext("%(num)d bed free", "%(num)d beds free", free.beds_free),
        ngettext("%(num)d place for a child", "%(num)d places for children", free.child_places_free),
        ngettext("%(num)d accessible room", "%(num)d accessible rooms", free.accessible_free)))


def _load_stay(stay_id: int, action: Action):
    stay = get_record(Stay, stay_id)
    if stay is None:
        abort(404)
    return stay, guard(action, stay)


def _field_error(form, exc: InputError, fallback: str) -> None:
    field = getattr(form, exc.field, None) or getattr(form, fallback)
    field.errors = [*field.errors, input_error_message(exc.code)]
    discard_refused_changes()


@bp.route("/admit/<referral_id>", methods=["GET", "POST"])
def admit(referral_id):
    referral, _decision = load_referral(referral_id, Action.REFERRAL_RECEIVE)
    form = AdmitForm()
    if form.validate_on_submit():
        try:
            stay = stays.admit(g.user, referral, admitted_on=form.admitted_on.data, children=form.children.data,
                               accessible_room=form.accessible_room.data)
        except InputError as exc:
            _field_error(form, exc, "admitted_on")
        else:
            flash(_("She is admitted. The places were taken."), "success")
            return redirect(url_for("stays.show", stay_id=stay.id))
    capacity = places.capacities([referral.service_id]).get(referral.service_id)
    return form_page("stays/admit.html", form=form, referral=referral, capacity=capacity)


@bp.get("/<int:stay_id>")
def show(stay_id):
    stay, decision = _load_stay(stay_id, Action.STAY_READ)
    if decision.relation == "sender":
        return form_page("stays/sender.html", stay=stay, view=stays.sender_view(stay))
    return _shelter_page(stay)


def _shelter_page(stay: Stay, **forms):
    given_form = forms.get("given_form") or GivenForm()
    lang = str(get_locale())
    given_form.code.choices = options([(e.code, e.name(lang)) for e in stays.essential_services()], blank=True)
    return form_page("stays/show.html", stay=stay, given_form=given_form,
                     extension_form=forms.get("extension_form") or ExtensionForm(),
                     exit_form=forms.get("exit_form") or ExitForm(), confirm=ConfirmForm(),
                     today=stays.today_at(get_service(stay.service_id).agency))


@bp.post("/<int:stay_id>/services")
def record_service(stay_id):
    stay, _decision = _load_stay(stay_id, Action.STAY_MANAGE)
    form = GivenForm()
    form.code.choices = options([(e.code, e.code) for e in stays.essential_services()], blank=True)
    if form.validate_on_submit():
        try:
            stays.record_service(g.user, stay, code=form.code.data, given_on=form.given_on.data)
        except InputError as exc:
            _field_error(form, exc, "code")
        else:
            flash(_("Service recorded."), "success")
            return redirect(url_for("stays.show", stay_id=stay.id) + "#services")
    return _shelter_page(stay, given_form=form)


@bp.post("/<int:stay_id>/extensions")
def request_extension(stay_id):
    stay, _decision = _load_stay(stay_id, Action.STAY_MANAGE)
    form = ExtensionForm()
    if form.validate_on_submit():
        try:
            stays.request_extension(g.user, stay, days=form.days.data)
        except InputError as exc:
            _field_error(form, exc, "days")
        else:
            flash(_("Extension requested: a colleague must approve it."), "success")
            return redirect(url_for("stays.show", stay_id=stay.id) + "#extensions")
    return _shelter_page(stay, extension_form=form)


@bp.post("/<int:stay_id>/extensions/<int:extension_id>/<any(approve, refuse):decision>")
def decide_extension(stay_id, extension_id, decision):
    extension = stays.extension_of(stay_id, extension_id)
    if extension is None:
        abort(404)
    guard(Action.STAY_MANAGE, extension)
    back = url_for("stays.show", stay_id=stay_id) + "#extensions"
    if not ConfirmForm().validate_on_submit():
        return refused_redirect(back, _("The request could not be completed."))
    try:
        stays.decide_extension(g.user, extension, approve=decision == "approve")
    except InputError as exc:
        return refused_redirect(back, input_error_message(exc.code))
    flash(_("Extension approved.") if decision == "approve" else _("Extension refused."), "success")
    return redirect(back)


@bp.post("/<int:stay_id>/exit")
def exit_stay(stay_id):
    stay, _decision = _load_stay(stay_id, Action.STAY_MANAGE)
    form = ExitForm()
    if form.validate_on_submit():
        try:
            stays.exit_stay(g.user, stay, exited_on=form.exited_on.data, destination=form.destination.data,
                            outcome=form.outcome.data)
        except InputError as exc:
            _field_error(form, exc, "exited_on")
        else:
            flash(_("Exit recorded. Her places are free again."), "success")
            return redirect(url_for("stays.show", stay_id=stay.id))
    return _shelter_page(stay, exit_form=form)


@bp.route("/places/<int:service_id>", methods=["GET", "POST"])
def capacity(service_id):
    guard(Action.DIRECTORY_MANAGE)
    service = get_service(service_id)
    if service is None:
        abort(404)
    current = places.capacities([service.id]).get(service.id)
    form = CapacityForm(obj=current) if current is not None else CapacityForm()
    if form.validate_on_submit():
        try:
            places.set_capacity(g.user, service, beds=form.beds.data, child_places=form.child_places.data,
                                accessible_rooms=form.accessible_rooms.data, max_stay_days=form.max_stay_days.data)
        except InputError as exc:
            _field_error(form, exc, "beds")
        else:
            flash(_("Places saved."), "success")
            return redirect(url_for("directory.index", category=service.category.value))
    return form_page("stays/capacity.html", form=form, service=service, current=current)


@bp.get("/occupancy")
def occupancy():
    guard(Action.OCCUPANCY_READ)
    since = stays.today_at(g.user.agency) - timedelta(days=365)
    return form_page("stays/occupancy.html", rows=stays.occupancy(g.user, since=since), since=since)

