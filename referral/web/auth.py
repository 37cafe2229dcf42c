"""Login in two steps (password, then second factor or enrolment), logout, password change."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for

from ..audit.context import set_actor
from ..audit.log import record
from ..extensions import limiter
from ..lifecycle import actor_for
from ..models import User
from ..models.base import utcnow
from ..security import totp
from ..security.proxies import client_ip
from ..security.sessions import end_session, start_authenticated_session
from ..security.tokens import token_digest
from ..services import accounts, credentials
from ..services.accounts import LoginStatus, PasswordRejected
from ..services.records import get_record
from ..translation import gettext as _
from .forms.auth import ChangePasswordForm, ConfirmForm, EnrolForm, LoginForm, SecondFactorForm
from .redirects import local_path
from .refusals import form_page, refused_redirect

bp = Blueprint("auth", __name__)

#: Time allowed between the password step and the second factor.
PENDING_LOGIN_TTL = timedelta(minutes=5)

PASSWORD_PROBLEMS = {
    "too_short": lambda: _("Use at least 12 characters."),
    "too_long": lambda: _("Use at most 256 characters."),
    "too_simple": lambda: _("Use more different characters."),
    "contains_username": lambda: _("Do not include your username."),
    "too_common": lambda: _("This password is too common or too easy to guess. "
                            "A sentence of several words you remember is safer."),
    "same_as_current": lambda: _("Choose a password different from the current one."),
    "wrong_current": lambda: _("The current password is not correct."),
}


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _pending_user() -> User | None:
    pending = session.get("pending_login")
    if not pending:
        return None
    started = pending.get("at", 0)
    if utcnow().timestamp() - started > PENDING_LOGIN_TTL.total_seconds():
        session.pop("pending_login", None)
        return None
    user = get_record(User, pending.get("user_id"))
    return user if user is not None and user.active else None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if g.user is not None:
        return redirect(url_for("home.index"))
    form = LoginForm(next=request.args.get("next"))
    error, refused_status = None, 422
    if form.validate_on_submit():
        result = accounts.check_password(form.username.data, form.password.data, client_ip())
        if result.status is LoginStatus.OK:
            session["pending_login"] = {
                "user_id": result.user.id,
                "at": utcnow().timestamp(),
                "next": local_path(form.next.data),
            }
            if result.user.totp_confirmed_at is None:
                return redirect(url_for("auth.enrol"))
            return redirect(url_for("auth.second_factor"))
        error, refused_status = _refusal(result.status, _("Username or password is not correct."))
    expired = getattr(session, "expired", False) or request.args.get("expired") == "1"
    # A refused login answers 4xx and rolls back: the failure was counted apart (services.throttle).
    return form_page("auth/login.html", refused_status, form=form, error=error, expired=expired)


def _refusal(status: LoginStatus, invalid_message: str) -> tuple[str, int]:
    if status is LoginStatus.THROTTLED:
        return _("Too many attempts. Wait a few minutes and try again."), 429
    return invalid_message, 422


@bp.route("/login/verify", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def second_factor():
    user = _pending_user()
    if user is None or user.totp_confirmed_at is None:
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    error, refused_status = None, 422
    if form.validate_on_submit():
        status = accounts.check_second_factor(user, form.code.data, client_ip())
        if status is LoginStatus.OK:
            return _finish_login(user)
        error, refused_status = _refusal(status, _("This code is not valid, or was already used."))
    return form_page("auth/second_factor.html", refused_status, form=form, error=error)


@bp.route("/login/enrol", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def enrol():
    user = _pending_user()
    if user is None or user.totp_confirmed_at is not None:
        return redirect(url_for("auth.login"))
    form = EnrolForm()
    error = None
    if form.validate_on_submit():
        codes = accounts.confirm_enrolment(user, form.code.data, client_ip())
        if codes is not None:
            next_url = _finish_login(user).location
            return render_template("auth/recovery_codes.html", codes=codes, next_url=next_url)
        error = _("This code is not valid. Check the time on your phone and try again.")
    secret = accounts.totp_secret(user) if request.method == "POST" else None
    if secret is None and request.method == "POST":
        # A refused POST is rolled back: a secret made now would not be kept. Start over on GET.
        return refused_redirect(url_for("auth.enrol"), error)
    if secret is None:
        secret = accounts.begin_enrolment(user)
    uri = totp.provisioning_uri(secret, user.username)
    return form_page(
        "auth/enrol.html", form=form, error=error, qr_svg=_inline_svg(totp.qr_svg(uri)),
        secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
    )


def _inline_svg(svg: str) -> str:
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else ""


def _finish_login(user: User):
    pending = session.get("pending_login") or {}
    lang = session.get("lang")
    start_authenticated_session(session, user.id, keep={"lang": lang} if lang else None)
    # The login is hers, in her new session: not the anonymous visitor's.
    set_actor(actor_for(user, channel="web", session_digest=token_digest(session.new_token)))
    accounts.complete_login(user, client_ip())
    return redirect(pending.get("next") or url_for("home.index"))


@bp.post("/logout")
def logout():
    end_session(session)
    return redirect(url_for("auth.login"))


@bp.post("/logout/everywhere")
def logout_everywhere():
    form = ConfirmForm()
    if form.validate_on_submit():
        credentials.revoke_all(g.user.id)
        record("account.logout_everywhere", object_type="user", object_id=g.user.id)
        end_session(session)
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(g.user, form.current_password.data, form.new_password.data)
        except PasswordRejected as exc:
            field = form.current_password if "wrong_current" in exc.problems else form.new_password
            field.errors = [PASSWORD_PROBLEMS[p]() for p in exc.problems]
        else:
            lang = session.get("lang")
            start_authenticated_session(session, g.user.id, keep={"lang": lang} if lang else None)
            flash(_("Your password was changed. Your other sessions were closed."), "success")
            return redirect(url_for("home.index"))
    return form_page("auth/change_password.html", form=form)
