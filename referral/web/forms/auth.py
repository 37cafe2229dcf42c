from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ...translation import lazy_gettext as _l

REQUIRED = _l("This field is required.")


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(REQUIRED), Length(max=80)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none", "dir": "ltr"})
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED), Length(max=256)],
                             render_kw={"autocomplete": "current-password", "dir": "ltr"})
    next = HiddenField()


class SecondFactorForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[DataRequired(REQUIRED), Length(max=32)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "dir": "ltr"},
    )


class EnrolForm(FlaskForm):
    code = StringField(
        _l("Six-digit code shown by the app"),
        validators=[DataRequired(REQUIRED), Length(max=12)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "dir": "ltr"},
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(REQUIRED)],
                                     render_kw={"autocomplete": "current-password", "dir": "ltr"})
    new_password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED), Length(max=256)],
                                 render_kw={"autocomplete": "new-password", "dir": "ltr"})
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(REQUIRED), EqualTo("new_password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password", "dir": "ltr"},
    )


class ConfirmForm(FlaskForm):
    """An empty form: a POST button protected by the CSRF token."""
