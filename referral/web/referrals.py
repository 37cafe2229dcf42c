"""Referring, and working referrals: inbox, outbox, the referral page and its actions."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import force_locale

from ..models import Case, Referral, Service
from ..models.base import utcnow
from ..models.vocab import ReferralStatus, ServiceCategory, Urgency
from ..policy import Action
from ..policy.fields import consent_for_services
from ..services import capacity as places
from ..services import case_views, notes, partner_links, stays
from ..services import referrals as referrals_service
from ..services.cases import get_case
from ..services.consents import record_consent
from ..services.directory import find_services, get_service
from ..services.errors import InputError, input_error_message
from ..services.referrals import TRANSITIONS, WorkflowError, create_referral
from ..translation import gettext as _
from .access import guard, load_case, load_referral
from .choices import region_choices, service_choices
from .forms.cases import NoteForm
from .forms.referrals import PartnerLetterForm, ReferForm, TransitionForm
from .refusals import REFUSED, form_page, refused_redirect

bp = Blueprint("referrals", __name__, url_prefix="/referrals")


@bp.get("/inbox")
def inbox():
    guard(Action.REFERRAL_RECEIVE)
    return _box("inbox")


@bp.get("/outbox")
def outbox():
    guard(Action.REFERRAL_SEND)
    return _box("outbox")


def _box(box: str):
    tab = request.args.get("tab")
    tab = tab if tab in referrals_service.BOX_STATES[box] else "open"
    page = referrals_service.box_page(g.user, box, tab, request.args.get("page", 1, type=int))
    return render_template("referrals/list.html", rows=page.items, tab=tab, page=page.number,
                           has_next=page.has_next, box=box,
                           unread=notes.unread_messages(g.user, [r.id for r in page.items]))


def _local_to_utc(value: datetime | None, tz_name: str) -> datetime | None:
    return value.replace(tzinfo=ZoneInfo(tz_name)) if value else None


@bp.route("/new/<case_id>", methods=["GET", "POST"])
def new(case_id):
    case, _access = load_case(case_id, Action.CASE_REFER)
    replaces = None
    if request.args.get("replaces"):
        replaces, _decision = load_referral(request.args["replaces"], Action.REFERRAL_SEND)
    form = ReferForm(request.form if request.method == "POST" else request.args if request.args.get("need") else None)
    if request.method == "GET":
        if case.risk_level == "high":
            form.urgency.data = Urgency.EMERGENCY.value
        if replaces is not None and not request.args.get("need"):
            form.need.data = replaces.need.value
    form.region_id.choices = region_choices(_("All regions"))
    services = find_services(category=form.need.data or None, region_id=form.region_id.data or None,
                             exclude_agency_id=g.user.agency_id)
    if replaces is not None:
        services = [s for s in services if s.agency_id != replaces.to_agency_id]
    free = places.availability(g.user, [s.id for s in services])
    form.service_id.choices = service_choices(services, free)
    proposals = []
    if request.method == "POST" and form.validate_on_submit():
        proposals = _full_shelter(form, free)
        if proposals:
            free.update(places.availability(g.user, [s.id for s in proposals]))
        referral = None if proposals is None or proposals else _refer(case, form, replaces)
        if referral is not None:
            flash(_("Referral %(ref)s sent.", ref=referral.reference), "success")
            return redirect(url_for("referrals.show", referral_id=referral.id))
    consented = {service_id: sorted(fields or [])
                 for service_id, fields in consent_for_services(case, services).items()}
    return form_page("referrals/new.html", form=form, case=case, services=services, consented=consented,
                     replaces=replaces, high_risk=case.risk_level == "high", proposals=proposals or [],
                     free=free)


def _full_shelter(form: ReferForm, free: dict) -> list[Service] | None:
    """An emergency referral to a full shelter is held back with the nearest shelters that have room
    (services/capacity.py says what nearest means); the caseworker may still send it once she ticks
    that the shelter agreed. Returns the proposals ([] when nothing holds it back; None when it is
    held back and no other shelter has room)."""
    chosen = free.get(form.service_id.data)
    if chosen is None or not chosen.full or form.urgency.data != Urgency.EMERGENCY.value or form.send_to_full.data:
        return []
    form.service_id.errors = [_("This shelter is full now. Choose one with room, or tick that this one agreed.")]
    return places.nearest_with_room(get_service(form.service_id.data)) or None


def _refer(case: Case, form: ReferForm, replaces: Referral | None) -> Referral | None:
    service = get_service(form.service_id.data)
    if service is None or str(service.id) not in {c.value for c in form.service_id.choices}:
        form.service_id.errors = [input_error_message("unknown_service")]
        return None
    fields = form.shared_fields.data or []
    try:
        if form.record_consent.data:
            record_consent(g.user, case, fields=fields, agency_id=service.agency_id)
        tz = service.agency.timezone or current_app.config["DEFAULT_TIMEZONE"]
        referral = create_referral(g.user, case, service=service, urgency=form.urgency.data, shared_fields=fields,
                                   message=form.message.data or None,
                                   assault_at=_local_to_utc(form.assault_at.data, tz), replaces=replaces)
    except InputError as exc:
        getattr(form, exc.field, form.service_id).errors = [input_error_message(exc.code)]
        return None
    except WorkflowError as exc:
        # No consent is fixed at the consent box, not by choosing another service.
        field = "record_consent" if exc.code == "no_consent" else \
            {"to_agency_id": "service_id"}.get(exc.field, exc.field)
        getattr(form, field, form.service_id).errors = [input_error_message(exc.code)]
        return None
    return referral


@bp.get("/<referral_id>")
def show(referral_id):
    referral, decision = load_referral(referral_id, Action.REFERRAL_READ)
    shown = referrals_service.referral_page(g.user, referral, decision)
    messages = _messages(shown)
    if shown.side in referrals_service.ACTING_SIDES:
        notes.mark_messages_read(g.user, referral)
    return _render(shown, TransitionForm(), NoteForm(), notes=messages)


@bp.post("/<referral_id>/transition")
def transition(referral_id):
    referral, decision = load_referral(referral_id, Action.REFERRAL_READ)
    form = TransitionForm()
    if not form.validate_on_submit():
        return refused_redirect(url_for("referrals.show", referral_id=referral.id),
                                _("The request could not be completed."))
    try:
        referrals_service.transition(g.user, referral, form.action.data, expected_version=int(form.version.data),
                                     reason=form.reason.data, message=form.message.data)
    except WorkflowError as exc:
        status = 409 if referrals_service.is_conflict(exc) else 422
        if exc.field in ("reason", "message"):  # told at the field that fixes it, in the summary too
            return _show_again(referral_id, form, status, failed_field=exc.field,
                               failed_error=input_error_message(exc.code))
        flash(input_error_message(exc.code), "error")
        return _show_again(referral_id, form, status)
    label = TRANSITIONS[form.action.data].name
    flash(_("Done: %(action)s.", action=_action_label(label)), "success")
    return redirect(url_for("referrals.show", referral_id=referral.id))


def _action_label(name: str) -> str:
    from ..labels import label

    return label(name, "action_")


def _show_again(referral_id, form, status, failed_field=None, failed_error=None, note_form=None):
    """The page again after a refused action or message, with what was typed and why it was refused
    (a refusal rolls back, so the page is read anew)."""
    referral, decision = load_referral(referral_id, Action.REFERRAL_READ)
    shown = referrals_service.referral_page(g.user, referral, decision)
    return _render(shown, form, note_form or NoteForm(), notes=_messages(shown), failed_action=form.action.data,
                   failed_field=failed_field, failed_error=failed_error), status


def _render(shown: referrals_service.ReferralPage, form, note_form, **context):
    referral, side = shown.referral, shown.side
    return render_template("referrals/show.html", referral=referral, view=shown.view, side=side,
                           history=shown.history, timers=shown.timers, actions=shown.actions, form=form,
                           transitions=TRANSITIONS, note_form=note_form, post_rape=ServiceCategory.POST_RAPE_CARE,
                           **context, **_stay_context(referral, side), **_sender_context(referral, shown.case, side))


def _messages(shown: referrals_service.ReferralPage) -> list:
    if shown.side not in referrals_service.ACTING_SIDES:
        return []
    return notes.visible_notes(g.user, shown.case, referral=shown.referral)


def _sender_context(referral: Referral, case: Case, side: str) -> dict:
    """For the sending caseworker: what the receiving agency reads now, which is less than what was
    sent once a consent is withdrawn or the access has ended."""
    if side != "sender" or referral.status == ReferralStatus.DRAFT:
        return {"recipient_sees": None, "partner_link": None}
    return {"recipient_sees": case_views.what_recipients_see(case, [referral]).get(referral.id),
            "partner_link": partner_links.live_link(referral) if referral.to_agency.external_partner else None}


@bp.post("/<referral_id>/partner-letter")
def partner_letter(referral_id):
    """The letter for a partner outside Masar, with a new one-time link (the former one stops)."""
    referral, decision = load_referral(referral_id, Action.REFERRAL_SEND)
    back = url_for("referrals.show", referral_id=referral.id) + "#partner"
    form = PartnerLetterForm()
    if decision.relation != "sender" or not form.validate_on_submit():
        return refused_redirect(back, _("The request could not be completed."))
    try:
        link, secret = partner_links.issue_link(g.user, referral)
    except InputError as exc:
        return refused_redirect(back, input_error_message(exc.code))
    view = partner_links.partner_view(link, audit_action="partner.letter")
    address = current_app.config["BASE_URL"].rstrip("/") + url_for("partner.show", secret=secret)
    with force_locale(form.language.data):
        return render_template("referrals/partner_letter.html", referral=referral, view=view, address=address,
                               link=link, printed_at=utcnow(), letter_language=form.language.data)


@bp.post("/<referral_id>/partner-link/revoke")
def revoke_partner_link(referral_id):
    referral, decision = load_referral(referral_id, Action.REFERRAL_SEND)
    back = url_for("referrals.show", referral_id=referral.id) + "#partner"
    if decision.relation != "sender" or not PartnerLetterForm().validate_on_submit():
        return refused_redirect(back, _("The request could not be completed."))
    partner_links.revoke(g.user, referral)
    flash(_("The partner's link no longer works."), "success")
    return redirect(back)


def _stay_context(referral: Referral, side: str) -> dict:
    """The shelter stay made from this referral, and whether the receiving side may admit her now."""
    if side not in ("sender", "recipient") or referral.need != ServiceCategory.SHELTER:
        return {"stay": None, "can_admit": False}  # only a referral for shelter leads to a stay
    stay = stays.stay_of(referral)
    can_admit = (side == "recipient" and stay is None and referral.status in stays.ADMITTING_STATES
                 and bool(places.capacities([referral.service_id]) if referral.service_id else False))
    return {"stay": stay, "can_admit": can_admit}


@bp.post("/<referral_id>/notes")
def add_note(referral_id):
    referral, decision = load_referral(referral_id, Action.REFERRAL_READ)
    case = get_case(referral.case_id)
    if decision.relation not in referrals_service.ACTING_SIDES:
        guard(Action.CASE_NOTE, case)
    form = NoteForm()
    if not form.validate_on_submit():  # shown again with what was typed (too long, or empty)
        return _show_again(referral.id, TransitionForm(), REFUSED, note_form=form)
    guard(Action.CASE_NOTE, case)
    notes.add_note(g.user, case, form.body.data, referral=referral)
    flash(_("Message sent."), "success")
    return redirect(url_for("referrals.show", referral_id=referral.id) + "#notes")

