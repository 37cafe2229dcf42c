"""The administrator's account pages: list, create, disable or enable, reset a second factor or a
password. They never touch survivor files. For an account that reaches files (a caseworker's or an
officer's), creating, re-enabling and resetting are requests a lead of its agency approves
(`approvals`). Temporary passwords are rendered once in the answer to the POST that made them:
never put in a URL, a flash message or a log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload

from ..models import AccountApproval, Agency, User, UserRole
from ..models.vocab import AccountChange, Role
from ..policy import Action
from ..services import admin as accounts_admin
from ..services.admin import AccountError
from ..services.paging import page_of
from ..services.records import get_record
from ..translation import gettext as _
from .access import guard
from .forms.admin import NewUserForm, UserFilterForm, account_error_message
from .refusals import form_page, refused_redirect

bp = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE = 25


@bp.before_request
def require_users_manage():
    guard(Action.USERS_MANAGE)


def _users_query(form: UserFilterForm):
    query = select(User).options(joinedload(User.agency))
    if form.q.data:
        query = query.where(User.username.contains(form.q.data.strip().casefold(), autoescape=True))
    if form.agency.data is not None:
        query = query.where(User.agency_id == form.agency.data)
    if form.role.data:
        query = query.where(exists().where(UserRole.user_id == User.id, UserRole.role == Role(form.role.data)))
    return query


@bp.get("/users")
def users():
    form = UserFilterForm(formdata=request.args)
    page = max(request.args.get("page", 1, type=int), 1)
    rows, has_next = [], False
    if form.validate():
        found = page_of(_users_query(form).order_by(User.username), page, PAGE_SIZE)
        rows, has_next = found.items, found.has_next
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("admin/users.html", form=form, users=rows[:PAGE_SIZE], page=page,
                           has_next=has_next, args=args)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = NewUserForm()
    if form.validate_on_submit():
        agency = get_record(Agency, form.agency_id.data)
        try:
            user, password = accounts_admin.create_user(
                g.user, username=form.username.data, display_name=form.display_name.data, agency=agency,
                roles={Role(r) for r in form.roles.data}, email=form.email.data or None,
                region_id=form.region_id.data)
        except AccountError as exc:
            _show_error(form, exc)
        else:
            if password is None:
                flash(_("The account is created. It stays disabled until a lead of its agency approves it; the "
                        "lead then receives the temporary password and hands it over."), "success")
                return redirect(url_for("admin.user", user_id=user.id))
            return render_template("admin/temporary_password.html", user=user, password=password, created=True)
    return form_page("admin/new_user.html", form=form)


def _show_error(form, exc: AccountError) -> None:
    field = getattr(form, exc.field, None)
    message = account_error_message(exc.field, exc.code)
    if field is None:
        flash(message, "error")
    else:
        field.errors = [*field.errors, message]


def _load(user_id: int) -> User:
    user = get_record(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    account = _load(user_id)
    open_sessions = accounts_admin.open_session_count(account)
    return render_template("admin/user.html", account=account, open_sessions=open_sessions,
                           pending=accounts_admin.pending_requests(account),
                           needs_approval=accounts_admin.needs_approval(account))


@bp.post("/users/<int:user_id>/disable")
def disable(user_id: int):
    return _set_active(_load(user_id), False)


@bp.post("/users/<int:user_id>/enable")
def enable(user_id: int):
    account = _load(user_id)
    if accounts_admin.needs_approval(account):
        return _ask(account, AccountChange.ENABLE)
    return _set_active(account, True)


def _set_active(account: User, active: bool):
    back = url_for("admin.user", user_id=account.id)
    try:
        accounts_admin.set_active(g.user, account, active)
    except AccountError as exc:
        return refused_redirect(back, account_error_message(exc.field, exc.code))
    flash(_("The account is enabled.") if active else _("The account is disabled and its sessions ended."),
          "success")
    return redirect(back)


def _ask(account: User, kind: AccountChange):
    """An account that reaches files changes only with a lead's approval: ask for it."""
    back = url_for("admin.user", user_id=account.id)
    try:
        accounts_admin.request_change(g.user, account, kind)
    except AccountError as exc:
        return refused_redirect(back, account_error_message(exc.field, exc.code))
    flash(_("Asked. Nothing changes until a lead of %(agency)s approves; she and the leads were told.",
            agency=account.agency.name(str(get_locale()))), "success")
    return redirect(back)


@bp.post("/users/<int:user_id>/second-factor/reset")
def reset_second_factor(user_id: int):
    account = _load(user_id)
    if accounts_admin.needs_approval(account):
        return _ask(account, AccountChange.RESET_SECOND_FACTOR)
    accounts_admin.reset_second_factor(g.user, account)
    flash(_("The second factor was removed: she sets up a new one at her next login."), "success")
    return redirect(url_for("admin.user", user_id=account.id))


@bp.post("/users/<int:user_id>/password/reset")
def reset_password(user_id: int):
    account = _load(user_id)
    if accounts_admin.needs_approval(account):
        return _ask(account, AccountChange.RESET_PASSWORD)
    password = accounts_admin.reset_password(g.user, account)
    return render_template("admin/temporary_password.html", user=account, password=password, created=False)


@bp.post("/users/<int:user_id>/lead")
def grant_lead(user_id: int):
    return _ask(_load(user_id), AccountChange.GRANT_LEAD)


@bp.post("/users/<int:user_id>/lead/remove")
def remove_lead(user_id: int):
    account = _load(user_id)
    back = url_for("admin.user", user_id=account.id)
    try:
        accounts_admin.remove_lead(g.user, account)
    except AccountError as exc:
        return refused_redirect(back, account_error_message(exc.field, exc.code))
    flash(_("She is no longer a lead of her agency."), "success")
    return redirect(back)


@bp.post("/requests/<int:approval_id>/cancel")
def cancel_request(approval_id: int):
    approval = get_record(AccountApproval, approval_id)
    if approval is None:
        abort(404)
    back = url_for("admin.user", user_id=approval.user_id)
    try:
        accounts_admin.cancel_request(g.user, approval)
    except AccountError as exc:
        return refused_redirect(back, account_error_message(exc.field, exc.code))
    flash(_("The request is cancelled."), "success")
    return redirect(back)


# --- Erasures at her request -----------------------------------------------------------------------

@bp.get("/erasures")
def erasures():
    from ..services import supervision
    from .forms.supervision import CarryOutErasureForm

    guard(Action.CASE_ERASE)
    return render_template("admin/erasures.html", requests=supervision.erasures_to_carry_out(g.user),
                           form=CarryOutErasureForm(formdata=None))


@bp.post("/erasures/<int(max=2147483647):approval_id>")
def carry_out_erasure(approval_id: int):
    from ..models import CaseworkApproval
    from ..services import supervision
    from ..services.errors import InputError, input_error_message
    from .forms.supervision import CarryOutErasureForm

    guard(Action.CASE_ERASE)
    approval = get_record(CaseworkApproval, approval_id)
    if approval is None or approval.step != "shred_request":
        abort(404)
    form = CarryOutErasureForm()
    back = url_for("admin.erasures")
    if not form.validate_on_submit():
        return refused_redirect(back, _("The request could not be completed."))
    try:
        case = supervision.carry_out_erasure(g.user, approval, form.case_number.data)
    except InputError as exc:
        return refused_redirect(back, input_error_message(exc.code))
    flash(_("File %(ref)s is erased: nothing of her can be read again.", ref=case.case_number), "success")
    return redirect(back)
