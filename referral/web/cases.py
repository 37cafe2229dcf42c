"""The caseworker's pages: file list and search, intake, file page, edit, consent, risk, close."""

from __future__ import annotations

import io
from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale

from ..models import Case, CaseGoal, Referral
from ..models.base import utcnow
from ..models.case import IDENTITY_COLUMNS
from ..models.vocab import CaseStatus, ReferralStatus
from ..policy import Action
from ..policy.fields import visible_risk_level
from ..services import (
    assessments,
    attachments,
    break_glass,
    case_views,
    cases,
    consents,
    notes,
    plan,
    supervision,
    tasks,
)
from ..services.cases import StaleCase
from ..services.errors import InputError, input_error_message
from ..services.records import get_record
from ..services.risk import QUESTION_IDS
from ..translation import gettext as _
from ..translation import lazy_gettext as _l
from .access import guard, load_case
from .choices import agency_choices, region_choices
from .forms import FormOnFirstUse, options
from .forms.cases import (
    AnonymousCaseForm,
    AttachmentForm,
    CaseForm,
    CloseForm,
    ConfirmForm,
    ConsentForm,
    FilterForm,
    GoalCloseForm,
    GoalForm,
    NoteForm,
    ReopenForm,
    RiskForm,
    SearchForm,
    TaskForm,
)
from .forms.supervision import DecisionForm, ErasureRequestForm
from .refusals import REFUSED, attach_input_error, discard_refused_changes, form_page, refused_redirect

bp = Blueprint("cases", __name__, url_prefix="/cases")

IDENTITY_FORM_FIELDS = tuple(IDENTITY_COLUMNS)
DETAIL_FORM_FIELDS = ("region_id", "age_band", "disability", "violence_type", "violence_flags",
                      "perpetrator_relationship", "incident_date", "incident_place", "channel",
                      "statistics_consent")


def _identity_from(form) -> dict:
    values = {name: getattr(form, name).data for name in IDENTITY_FORM_FIELDS}
    if isinstance(values.get("date_of_birth"), date):
        values["date_of_birth"] = values["date_of_birth"].isoformat()
    return {k: (v or None) for k, v in values.items()}


def _details_from(form) -> dict:
    details = {name: getattr(form, name).data for name in DETAIL_FORM_FIELDS}
    return {k: (v if v not in ("",) else None) for k, v in details.items()} | {
        "violence_flags": form.violence_flags.data or [], "disability": bool(form.disability.data)}


@bp.route("/", methods=["GET", "POST"])
def index():
    guard(Action.CASE_LIST)
    filters = FilterForm(request.args)
    search = SearchForm()
    page = max(1, request.args.get("page", 1, type=int))
    matches = None
    if search.validate_on_submit():
        try:
            matches = cases.search(g.user, search.column.data, search.q.data)
        except InputError as exc:
            attach_input_error(search, InputError("q", exc.code))
            matches = []
    elif request.method == "POST":
        matches = []
    rows, has_next = case_views.list_cases(g.user, status=filters.status.data or "open",
                                           risk=filters.risk.data or None, page=page, only=matches)
    return render_template("cases/index.html", form=search, filters=filters, rows=rows, page=page,
                           has_next=has_next, searching=matches is not None), REFUSED if search.errors else 200


def _intake_form(form_class):
    """A new file's form, the region of her agency proposed first."""
    guard(Action.CASE_CREATE)
    form = form_class()
    form.region_id.choices = region_choices()
    if request.method == "GET":
        form.region_id.data = g.user.agency.region_id
    return form


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = _intake_form(CaseForm)
    if form.validate_on_submit():
        try:
            case, duplicates = cases.open_case(g.user, _identity_from(form), _details_from(form))
        except InputError as exc:
            attach_input_error(form, exc)
        else:
            flash(_("File %(number)s opened.", number=case.case_number), "success")
            if duplicates:
                flash(_("A possible duplicate exists: the network coordinator or the other association will "
                        "contact you."), "warning")
            return redirect(url_for("cases.show", case_id=case.id))
    return form_page("cases/form.html", form=form, case=None)


@bp.route("/anonymous/new", methods=["GET", "POST"])
def new_anonymous():
    form = _intake_form(AnonymousCaseForm)
    if form.validate_on_submit():
        try:
            case = cases.open_anonymous_case(g.user, _details_from(form))
        except InputError as exc:
            attach_input_error(form, exc)
        else:
            flash(_("Anonymous case %(number)s recorded.", number=case.case_number), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    return form_page("cases/anonymous.html", form=form)


@bp.get("/<case_id>")
def show(case_id):
    case, access = load_case(case_id, Action.CASE_READ)
    return render_template("cases/show.html", **_file_page(case, access))


def _file_page(case: Case, access, *, purpose: str = "view", with_timeline: bool = False, **forms) -> dict:
    """What the file page shows; `forms` replaces a blank form by the one she submitted (refused,
    shown again with what she typed and why)."""
    identity = cases.read_identity(g.user, case, purpose=purpose)
    # Everything the template reads comes with its rows: a constant number of queries per page.
    referrals = case_views.case_referrals(g.user, case)
    is_owner = access.relation == "owner"
    context = {"case": case, "access": access, "identity": identity, "referrals": referrals, "is_owner": is_owner,
               "risk_level": visible_risk_level(access, case),
               # The history is on the page printed; on the screen it is read when opened.
               "timeline": case_views.timeline(g.user, case, referrals) if with_timeline else None,
               "note_form": FormOnFirstUse(NoteForm)}
    if is_owner:
        consents_of_case = consents.consents_of(case)
        assessment = assessments.latest_assessment(case)
        context.update(
            consents=consents_of_case, assessment=assessment,
            next_steps=case_views.next_steps(case, consents_of_case, assessment, referrals),
            notes=notes.visible_notes(g.user, case),
            attachments=attachments.list_attachments(g.user, case), attachment_form=FormOnFirstUse(AttachmentForm),
            # The secondary forms are drawn when she opens them (cases.file_form), or when refused;
            # the buttons' small forms are built only if the page shows them.
            consent_form=None if consents_of_case else _consent_form(case), task_form=None, goal_form=None,
            erasure_form=None, close_form=None, reopen_form=FormOnFirstUse(ReopenForm),
            confirm_form=FormOnFirstUse(ConfirmForm),
            recipients_see=case_views.what_recipients_see(case, referrals, consents=consents_of_case),
            emergency_reads=break_glass.accesses_to(g.user, case),
            tasks=tasks.tasks_of_case(g.user, case),
            zone=tasks.agency_zone(case.owner_agency),
            goals=plan.goals_of_case(g.user, case),
            goal_close_form=FormOnFirstUse(lambda: GoalCloseForm(formdata=None)),
            approvals=[(a, *supervision.comments_of(a)) for a in supervision.recent_of_case(case)],
            approval_steps=supervision.steps_of(case.owner_agency_id),
            decision_form=FormOnFirstUse(lambda: DecisionForm(formdata=None)),
            may_decide=supervision.is_supervisor(g.user, case.owner_agency_id),
        )
        context["open_goals"] = any(view.goal.status == "open" for view in context["goals"])
    context.update(forms)
    return context


#: The file page's secondary forms: name -> (title, template).
ON_DEMAND_FORMS = {
    "consent": (_l("Record consent"), "cases/_form_consent.html"),
    "goal": (_l("Add a goal agreed with her"), "cases/_form_goal.html"),
    "task": (_l("Plan a follow-up"), "cases/_form_task.html"),
    "erasure": (_l("She asks that her file be erased"), "cases/_form_erasure.html"),
    "close": (_l("Close the file"), "cases/_form_close.html"),
}


@bp.get("/<case_id>/forms/<any(consent, goal, task, erasure, close):name>")
def file_form(case_id, name):
    """One secondary form of the file page, blank: on a page of its own (a link, with JavaScript
    off), or as a fragment the page puts in place when she opens it (``?fragment=1``)."""
    case, _access = load_case(case_id, Action.CASE_UPDATE)
    plan.require_owner(g.user, case)
    if name == "close" and case.status != CaseStatus.OPEN:
        return redirect(url_for("cases.show", case_id=case.id))  # closed meanwhile: her file shows why
    title, template = ON_DEMAND_FORMS[name]
    forms = {"consent": lambda: {"consent_form": _consent_form(case)},
             "goal": lambda: {"goal_form": _goal_form(case, _own_referrals(case))},
             "task": lambda: {"task_form": _task_form(case)},
             "erasure": lambda: {"erasure_form": ErasureRequestForm(),
                                 "approval_steps": supervision.steps_of(case.owner_agency_id)},
             "close": lambda: {"close_form": _close_form(_own_referrals(case)),
                               "open_goals": plan.open_goal_count(case) > 0,
                               "approval_steps": supervision.steps_of(case.owner_agency_id)}}[name]()
    if request.args.get("fragment"):
        return render_template(template, case=case, **forms)
    return render_template("cases/form_only.html", case=case, title=title, template=template, **forms)


def _goal_form(case: Case, referrals, formdata=None, obj=None) -> GoalForm:
    form = GoalForm(formdata=formdata, obj=obj) if formdata is not None or obj is not None else GoalForm(formdata=None)
    form.referral_id.choices = options([(r.id, f"{r.reference} · {r.to_agency.name(str(get_locale()))}")
                                        for r in referrals if r.case_id == case.id], blank=True)
    return form


def _close_form(referrals) -> CloseForm:
    """Blank, with the kinds of service her completed referrals gave her already ticked."""
    form = CloseForm(formdata=None)
    form.services_received.data = sorted({r.need.value for r in referrals
                                          if r.status == ReferralStatus.COMPLETED and r.need is not None})
    return form


def _task_form(case: Case, formdata=None) -> TaskForm:
    form = TaskForm(formdata=formdata) if formdata is not None else TaskForm(formdata=None)
    form.assignee_id.choices = options([(u.id, u.display_name) for u in tasks.assignable(case)], blank=True)
    if formdata is None:
        form.assignee_id.data = g.user.id
    return form


@bp.get("/<case_id>/summary")
def summary(case_id):
    """The file on paper: what the viewer may see, no form and no button (a print stylesheet)."""
    case, access = load_case(case_id, Action.CASE_READ)
    return render_template("cases/summary.html", printed_at=utcnow(),
                           **_file_page(case, access, purpose="print", with_timeline=True))


@bp.get("/<case_id>/timeline")
def timeline(case_id):
    """The file's history: in its place on the file page when she opens it (``?fragment=1``), or
    on a page of its own. Whoever may read the file reads it, as she sees it there (a receiving
    agency not the association's own steps); every reading is in the access log."""
    case, _access = load_case(case_id, Action.CASE_READ)
    entries = case_views.file_history(g.user, case)
    if request.args.get("fragment"):
        return render_template("cases/_timeline.html", case=case, timeline=entries)
    return render_template("cases/form_only.html", case=case, title=_("Timeline"), template="cases/_timeline.html",
                           timeline=entries)


def _refused_on_file_page(case: Case, access, **forms):
    """A form of the file page refused: nothing it wrote is kept, and the page comes back with the
    form as she filled it, its errors at the fields (422)."""
    discard_refused_changes()
    return render_template("cases/show.html", **_file_page(case, access, **forms)), REFUSED


def _consent_form(case, formdata=None) -> ConsentForm:
    form = ConsentForm(formdata=formdata)
    form.agency_id.choices = agency_choices(exclude_id=case.owner_agency_id)
    return form


@bp.route("/<case_id>/edit", methods=["GET", "POST"])
def edit(case_id):
    case, _access = load_case(case_id, Action.CASE_UPDATE)
    form = CaseForm()
    form.region_id.choices = region_choices()
    if request.method == "GET":
        identity = cases.read_identity(g.user, case, purpose="edit")
        for name in IDENTITY_FORM_FIELDS:
            value = identity.get(name)
            if name == "date_of_birth" and value:
                value = date.fromisoformat(value)
            getattr(form, name).data = value
        for name in DETAIL_FORM_FIELDS:
            value = getattr(case, name)
            getattr(form, name).data = getattr(value, "value", value)
        form.violence_flags.data = list(case.violence_flags or [])
        form.version.data = str(case.version)
    elif form.validate_on_submit():
        try:
            cases.update_case(g.user, case, _identity_from(form), _details_from(form),
                              expected_version=int(form.version.data or 0))
        except StaleCase:
            flash(_("Someone else changed this file while you were editing. Your changes were not saved; "
                    "they are still in the form below. Reload the file to see the latest version."), "error")
            return render_template("cases/form.html", form=form, case=case), 409
        except InputError as exc:
            attach_input_error(form, exc)
        else:
            flash(_("File updated."), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    return form_page("cases/form.html", form=form, case=case)


@bp.post("/<case_id>/consents")
def add_consent(case_id):
    case, access = load_case(case_id, Action.CASE_CONSENT)
    form = _consent_form(case, request.form)
    back = url_for("cases.show", case_id=case.id) + "#consent"
    if not form.validate_on_submit():
        return _refused_on_file_page(case, access, consent_form=form)
    scope_agency = form.agency_id.data if form.scope.data == "agency" else None
    scope_category = form.service_category.data or None if form.scope.data == "category" else None
    try:
        consents.record_consent(g.user, case, fields=form.fields.data or [], agency_id=scope_agency,
                                service_category=scope_category, note=form.note.data or None)
    except InputError as exc:
        attach_input_error(form, exc)
        return _refused_on_file_page(case, access, consent_form=form)
    flash(_("Consent recorded."), "success")
    return redirect(back)


@bp.route("/<case_id>/consents/<int:consent_id>/withdraw", methods=["GET", "POST"])
def withdraw_consent(case_id, consent_id):
    """GET: what each agency sees now and will see once it is withdrawn; POST: withdraw."""
    case, _access = load_case(case_id, Action.CASE_CONSENT)
    form = ConfirmForm()
    consent = consents.consent_of(case, consent_id)
    if consent is None:
        abort(404)
    back = url_for("cases.show", case_id=case.id) + "#consent"
    if request.method == "GET":
        if consent.withdrawn_at is not None:
            return redirect(back)
        return render_template("cases/withdraw_consent.html", case=case, consent=consent, form=form,
                               preview=case_views.withdrawal_preview(g.user, case, consent))
    if form.validate_on_submit():
        try:
            consents.withdraw_consent(g.user, case, consent)
        except InputError as exc:
            return refused_redirect(back, input_error_message(exc.code))
        flash(_("Consent withdrawn. Agencies covered by it no longer see her data."), "success")
    return redirect(back)


@bp.route("/<case_id>/risk", methods=["GET", "POST"])
def risk(case_id):
    case, _access = load_case(case_id, Action.CASE_ASSESS_RISK)
    form = RiskForm()
    if form.validate_on_submit():
        answers = {q: bool(getattr(form, f"q_{q}").data) for q in QUESTION_IDS}
        try:
            assessment = assessments.assess_risk(g.user, case, answers, judged_level=form.judged_level.data or None,
                                                 judgement=form.judgement.data or None)
        except InputError as exc:
            attach_input_error(form, exc)
        else:
            flash(_("Risk assessed: score %(score)d of 24.", score=assessment.score), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    return form_page("cases/risk.html", form=form, case=case, question_ids=QUESTION_IDS)


@bp.post("/<case_id>/close")
def close(case_id):
    case, access = load_case(case_id, Action.CASE_CLOSE)
    form = CloseForm()
    back = url_for("cases.show", case_id=case.id)
    if not form.validate_on_submit():
        return _refused_on_file_page(case, access, close_form=form)
    approval = supervision.needs_approval(case, "case_close")
    try:
        if approval:
            supervision.request_closure(g.user, case, form.reason.data, form.comment.data or None,
                                        form.services_received.data or [])
        else:
            cases.close_case(g.user, case, form.reason.data, form.comment.data or None,
                             services_received=form.services_received.data or [])
    except InputError as exc:
        attach_input_error(form, exc)
        return _refused_on_file_page(case, access, close_form=form)
    flash(_("Sent to your supervisor: the file closes when she approves, and stays open meanwhile.") if approval
          else _("File closed."), "success")
    return redirect(back + ("#approvals" if approval else ""))


@bp.post("/<case_id>/erasure")
def request_erasure(case_id):
    case, _access = load_case(case_id, Action.CASE_UPDATE)
    back = url_for("cases.show", case_id=case.id) + "#approvals"
    form = ErasureRequestForm()
    if not form.validate_on_submit() or not form.confirm.data:
        return refused_redirect(back, _("Tick the box to confirm that she asked for it."))
    try:
        approval = supervision.request_erasure(g.user, case)
    except InputError as exc:
        return refused_redirect(back, input_error_message(exc.code))
    flash(_("Sent to your supervisor for approval, then to the administrator who erases it.")
          if approval.status.value == "pending" else _("Sent to the administrator, who erases it."), "success")
    return redirect(back)


@bp.post("/<case_id>/plan/approval")
def request_plan_approval(case_id):
    case, access = load_case(case_id, Action.CASE_UPDATE)
    back = url_for("cases.show", case_id=case.id) + "#plan"
    if not ConfirmForm().validate_on_submit() or not supervision.needs_approval(case, "case_plan"):
        return refused_redirect(back, _("The request could not be completed."))
    try:
        supervision.request_plan_approval(g.user, case)
    except InputError as exc:
        return refused_redirect(back, input_error_message(exc.code))
    flash(_("Her plan was sent to your supervisor for approval."), "success")
    return redirect(back)


@bp.post("/<case_id>/reopen")
def reopen(case_id):
    case, access = load_case(case_id, Action.CASE_CLOSE)
    form = ReopenForm()
    back = url_for("cases.show", case_id=case.id)
    if not form.validate_on_submit():
        return _refused_on_file_page(case, access, reopen_form=form)
    try:
        cases.reopen_case(g.user, case, form.comment.data)
    except InputError as exc:
        attach_input_error(form, exc)
        return _refused_on_file_page(case, access, reopen_form=form)
    flash(_("File reopened."), "success")
    return redirect(back)


@bp.post("/<case_id>/goals")
def add_goal(case_id):
    case, access = load_case(case_id, Action.CASE_UPDATE)
    plan.require_owner(g.user, case)
    form = _goal_form(case, _own_referrals(case), request.form)
    if not form.validate_on_submit():
        return _refused_on_file_page(case, access, goal_form=form)
    try:
        plan.add_goal(g.user, case, _goal_values(form))
    except InputError as exc:
        attach_input_error(form, exc)
        return _refused_on_file_page(case, access, goal_form=form)
    flash(_("Goal added to her plan."), "success")
    return redirect(url_for("cases.show", case_id=case.id) + "#plan")


@bp.route("/<case_id>/goals/<uuid:goal_id>", methods=["GET", "POST"])
def edit_goal(case_id, goal_id):
    case, _access = load_case(case_id, Action.CASE_UPDATE)
    plan.require_owner(g.user, case)
    views = {v.goal.id: v for v in plan.goals_of_case(g.user, case)}
    view = views.get(goal_id)
    if view is None or view.goal.status != "open":
        abort(404)
    referrals = _own_referrals(case)
    if request.method == "GET":
        form = _goal_form(case, referrals, obj=view.goal)
        form.goal.data, form.actions.data = view.text, "\n".join(view.actions)
        form.referral_id.data = str(view.goal.referral_id) if view.goal.referral_id else ""
        form.version.data = str(view.goal.version)
        return render_template("cases/goal.html", form=form, case=case, goal=view.goal)
    form = _goal_form(case, referrals, request.form)
    status = REFUSED
    if form.validate_on_submit():
        try:
            plan.update_goal(g.user, case, goal_id, _goal_values(form), expected_version=_int(form.version.data))
        except plan.StaleGoal:
            discard_refused_changes()
            flash(input_error_message("stale_goal"), "error")
            form.version.data = str(get_record(CaseGoal, goal_id).version)  # she may save again, knowingly
            status = 409
        except InputError as exc:
            attach_input_error(form, exc)
        else:
            flash(_("Goal updated."), "success")
            return redirect(url_for("cases.show", case_id=case.id) + "#plan")
    discard_refused_changes()
    return render_template("cases/goal.html", form=form, case=case, goal=view.goal), status


@bp.post("/<case_id>/goals/<uuid:goal_id>/<any(achieved, dropped):status>")
def close_goal(case_id, goal_id, status):
    case, access = load_case(case_id, Action.CASE_UPDATE)
    plan.require_owner(g.user, case)
    form = GoalCloseForm()
    back = url_for("cases.show", case_id=case.id) + "#plan"
    if not form.validate_on_submit():
        return refused_redirect(back, _("The request could not be completed."))
    try:
        plan.close_goal(g.user, case, goal_id, status, form.note.data, expected_version=_int(form.version.data))
    except plan.StaleGoal:
        return refused_redirect(back, input_error_message("stale_goal"))
    except InputError as exc:
        if exc.field == "note":
            return refused_redirect(back, _("Say why the goal is dropped."))
        return refused_redirect(back, input_error_message(exc.code))
    flash(_("Goal achieved.") if status == "achieved" else _("Goal dropped."), "success")
    return redirect(back)


def _own_referrals(case: Case) -> list[Referral]:
    return case_views.case_referrals(g.user, case)


def _goal_values(form: GoalForm) -> dict:
    return {"area": form.area.data, "goal": form.goal.data, "actions": form.actions.data,
            "by_whom": form.by_whom.data, "referral_id": form.referral_id.data or None,
            "target_on": form.target_on.data}


def _int(raw) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


@bp.post("/<case_id>/tasks")
def add_task(case_id):
    case, access = load_case(case_id, Action.CASE_NOTE)
    tasks.require_owner(g.user, case)  # a recipient writes notes on her referral, never follow-ups
    form = _task_form(case, request.form)
    if not form.validate_on_submit():
        return _refused_on_file_page(case, access, task_form=form)
    try:
        tasks.add_task(g.user, case, kind=form.kind.data, due_local=form.due_at.data,
                       assignee_id=form.assignee_id.data, note=form.note.data or None)
    except InputError as exc:
        attach_input_error(form, exc)
        return _refused_on_file_page(case, access, task_form=form)
    flash(_("Follow-up planned."), "success")
    return redirect(url_for("cases.show", case_id=case.id) + "#tasks")


@bp.post("/<case_id>/tasks/<uuid:task_id>/<any(done, cancelled):status>")
def close_task(case_id, task_id, status):
    case, _access = load_case(case_id, Action.CASE_NOTE)
    back = url_for("cases.show", case_id=case.id) + "#tasks"
    if not ConfirmForm().validate_on_submit():
        return refused_redirect(back, _("The request could not be completed."))
    try:
        tasks.close_task(g.user, case, task_id, status)
    except InputError as exc:
        return refused_redirect(back, input_error_message(exc.code))
    flash(_("Follow-up updated."), "success")
    return redirect(back)


@bp.post("/<case_id>/notes")
def add_note(case_id):
    case, access = load_case(case_id, Action.CASE_NOTE)
    form = NoteForm()
    back = url_for("cases.show", case_id=case.id) + "#notes"
    if not form.validate_on_submit():
        return _refused_on_file_page(case, access, note_form=form)
    notes.add_note(g.user, case, form.body.data)
    flash(_("Note added."), "success")
    return redirect(back)


@bp.post("/<case_id>/attachments")
def add_attachment(case_id):
    case, _access = load_case(case_id, Action.CASE_UPDATE)
    form = AttachmentForm()
    back = url_for("cases.show", case_id=case.id) + "#attachments"
    if not form.validate_on_submit():
        return refused_redirect(back, _("Choose a file to attach."))
    upload = form.file.data
    try:
        attachments.add_attachment(g.user, case, filename=upload.filename or "", content_type=upload.mimetype,
                                   data=upload.read(attachments.MAX_BYTES + 1))
    except InputError as exc:
        return refused_redirect(back, input_error_message(exc.code))
    flash(_("File attached."), "success")
    return redirect(back)


@bp.get("/<case_id>/attachments/<attachment_id>")
def download_attachment(case_id, attachment_id):
    case, _access = load_case(case_id, Action.CASE_UPDATE)
    try:
        name, content_type, data = attachments.read_attachment(g.user, case, attachment_id)
    except InputError:
        abort(404)
    # Always a download, never rendered inline: an uploaded HTML or SVG cannot run in our origin.
    return send_file(io.BytesIO(data), mimetype=content_type, as_attachment=True, download_name=name,
                     max_age=0)
