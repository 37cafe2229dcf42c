"""Hot cases: the coalition's list and pages, a coordinator's flag by reference, a caseworker's flag
of her own file (services.hot_cases holds the rules)."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale

from ..policy import Action, NotFoundError, can
from ..policy.refusals import record_refusal
from ..services import hot_cases
from ..services.errors import InputError, input_error_message
from ..translation import gettext as _
from .access import guard, load_case
from .forms.hot_cases import FlagFileForm, FlagReferralForm, HotCaseDecisionForm
from .refusals import REFUSED, attach_input_error, discard_refused_changes

bp = Blueprint("hot_cases", __name__, url_prefix="/hot-cases")


def _list_page(flag_form, status: int = 200):
    closed = request.args.get("closed") == "1"
    rows = hot_cases.hot_cases(g.user, closed=closed)
    return render_template("hot_cases/index.html", rows=rows, closed=closed, flag_form=flag_form,
                           may_flag=can(g.user, Action.HOT_CASE_FLAG)), status


@bp.get("")
def index():
    guard(Action.HOT_CASE_READ)
    form = FlagReferralForm(formdata=None)
    form.reference.data = (request.args.get("reference") or "")[:32]  # from a referral's page, ready to flag
    return _list_page(form)


@bp.post("/flag")
def flag_referral():
    guard(Action.HOT_CASE_READ)
    form = FlagReferralForm()
    if form.validate_on_submit():
        try:
            hot = hot_cases.flag_referral(g.user, form.reference.data, form.reason.data, form.comment.data,
                                          form.review_every_days.data)
        except InputError as exc:
            discard_refused_changes()
            attach_input_error(form, exc)
        except NotFoundError as exc:
            # A referral outside her oversight reads like one that does not exist (the denial is audited).
            discard_refused_changes()
            record_refusal(exc)
            attach_input_error(form, InputError("reference", "unknown_reference"))
        else:
            flash(_("Hot case %(number)s is now followed by the coalition.", number=hot.number), "success")
            return redirect(url_for("hot_cases.show", hot_case_id=hot.id))
    discard_refused_changes()
    return _list_page(form, REFUSED)


def _show_page(hot, form, status: int = 200):
    view = hot_cases.hot_case_view(g.user, hot, locale=str(get_locale()))
    if form.version.data in (None, ""):
        form.version.data = str(hot.version)
    return render_template("hot_cases/show.html", view=view, form=form,
                           may_decide=can(g.user, Action.HOT_CASE_DECIDE, hot)), status


@bp.get("/<int:hot_case_id>")
def show(hot_case_id):
    hot = hot_cases.get_hot_case(g.user, hot_case_id)
    return _show_page(hot, HotCaseDecisionForm())


@bp.post("/<int:hot_case_id>/decisions")
def decide(hot_case_id):
    hot = hot_cases.get_hot_case(g.user, hot_case_id)
    guard(Action.HOT_CASE_DECIDE, hot)
    form = HotCaseDecisionForm()
    status = REFUSED
    if form.validate_on_submit():
        try:
            hot_cases.decide(g.user, hot, form.kind.data, form.text.data, expected_version=form.version.data,
                             review_every_days=form.review_every_days.data)
        except hot_cases.StaleHotCase:
            discard_refused_changes()
            flash(input_error_message("stale_hot_case"), "error")
            form.version.data = str(hot.version)  # what she sees now; she may decide again, knowingly
            status = 409
        except InputError as exc:
            attach_input_error(form, exc)
        else:
            flash(_("The decision is recorded."), "success")
            return redirect(url_for("hot_cases.show", hot_case_id=hot.id))
    discard_refused_changes()
    hot = hot_cases.get_hot_case(g.user, hot_case_id)
    return _show_page(hot, form, status)


@bp.route("/file/<case_id>", methods=["GET", "POST"])
def flag_file(case_id):
    """Her caseworker asks the governorate's coalition to follow her file."""
    case, _access = load_case(case_id, Action.CASE_UPDATE)
    guard(Action.HOT_CASE_FLAG)
    current = hot_cases.open_hot_case_of(case)
    form = FlagFileForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            hot_cases.flag_file(g.user, case, form.reason.data, form.comment.data, form.review_every_days.data)
        except InputError as exc:
            discard_refused_changes()
            attach_input_error(form, exc)
        else:
            flash(_("The governorate's coalition now follows this file as a hot case."), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    status = 200 if request.method == "GET" else REFUSED
    if status != 200:
        discard_refused_changes()
    return render_template("hot_cases/flag_file.html", case=case, form=form, current=current), status
