"""Logging in (password, second factor, enrolment), changing passwords, managing accounts."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..audit import deferred
from ..audit.log import record
from ..extensions import db
from ..models import RecoveryCode, User
from ..models.base import utcnow
from ..models.vocab import AuditOutcome
from ..security import totp
from ..security.crypto import WrappedKey
from ..security.keys import app_keys
from ..security.passwords import hash_password, needs_rehash, password_problems, verify_password
from . import credentials, throttle


class LoginStatus(enum.StrEnum):
    OK = "ok"
    INVALID = "invalid"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class LoginResult:
    status: LoginStatus
    user: User | None = None


def check_password(username: str, password: str, ip: str | None) -> LoginResult:
    """First factor. The answer is the same for an unknown user, a wrong password and a disabled
    account, and lockout applies to any typed username, so nothing tells which accounts exist.

    A failed attempt never holds two pooled connections at once, nor any while the password is
    hashed (20 concurrent failures used to hold the pool until requests timed out): the account
    is read on a short connection, and the request's own session is used only for a success."""
    if not throttle.claim_login_attempt(username, ip):
        deferred.record_after("login.throttled", outcome=AuditOutcome.DENIED, details=_typed(_account(username)))
        return LoginResult(LoginStatus.THROTTLED)
    account = _account(username)
    valid = verify_password(account.password_hash if account else None, password or "")
    if not valid or account is None or not account.active:
        throttle.register_failure(throttle.ip_key(ip))
        deferred.record_after("login.password_failed", outcome=AuditOutcome.FAILURE, details=_typed(account))
        return LoginResult(LoginStatus.INVALID)
    throttle.release_login_attempt(username, ip)
    user = db.session.get(User, account.id)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return LoginResult(LoginStatus.OK, user)


def _account(username: str):
    """What the first factor needs of the account a username names, read and released at once."""
    name = (username or "").strip().casefold()
    if not name:
        return None
    with db.engine.connect() as conn:
        return conn.execute(
            select(User.id, User.username, User.password_hash, User.active).where(User.username == name)
        ).first()


def _typed(account) -> dict:
    """What the log keeps of a typed username: the account it names, if any. Anything else may be
    a password typed in the wrong box, so only the fact that it named no account is kept."""
    return {"username": account.username, "user_id": account.id} if account else {"unknown_username": True}


def totp_aad(user: User) -> bytes:
    return f"masar:v1:users:totp_secret:{user.id}".encode()


def totp_secret(user: User) -> str | None:
    if user.totp_secret_ct is None:
        return None
    wrapped = WrappedKey(user.totp_key_id, user.totp_secret_ct)
    return app_keys().master.decrypt(wrapped, totp_aad(user)).decode()


def begin_enrolment(user: User) -> str:
    """A fresh secret for an account without a confirmed second factor."""
    if user.totp_confirmed_at is not None:
        raise ValueError("second factor already enrolled")
    secret = totp.new_secret()
    wrapped = app_keys().master.wrap_value(secret, totp_aad(user))
    user.totp_secret_ct, user.totp_key_id = wrapped.blob, wrapped.key_id
    user.totp_last_step = None
    return secret


def check_second_factor(user: User, code: str, ip: str | None) -> LoginStatus:
    """A TOTP code (each accepted once) or an unused recovery code."""
    if not throttle.claim_login_attempt(user.username, ip):
        deferred.record_after("login.throttled", outcome=AuditOutcome.DENIED, details={"step": "second_factor"})
        return LoginStatus.THROTTLED
    use = _use_totp_code(user, code)
    if use is CodeUse.WRONG:
        use = _use_recovery_code(user, code)
        if use is CodeUse.ACCEPTED:
            record("login.recovery_code_used", object_type="user", object_id=user.id)
    if use is CodeUse.ACCEPTED:
        return LoginStatus.OK
    if use is CodeUse.WRONG:
        throttle.register_failure(throttle.ip_key(ip))
    deferred.record_after("login.second_factor_failed", outcome=AuditOutcome.FAILURE,
                          object_type="user", object_id=user.id)
    return LoginStatus.INVALID


class CodeUse(enum.Enum):
    ACCEPTED = "accepted"
    #: Matched nothing: nothing was written, so the failure may be counted on another connection.
    WRONG = "wrong"
    #: Valid, but a concurrent request spent it first (the loser holds a write lock on SQLite).
    SPENT = "spent"


def _use_totp_code(user: User, code: str) -> CodeUse:
    """Accept a TOTP code at most once. The step is claimed by one conditional UPDATE, so of many
    requests carrying the same code only the first to write wins; the others match no row
    (PostgreSQL re-reads the row after the winner commits, SQLite serialises writers)."""
    secret = totp_secret(user)
    step = totp.matching_step(secret, code, last_step=user.totp_last_step) if secret else None
    if step is None:
        return CodeUse.WRONG
    claimed = db.session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not claimed:
        return CodeUse.SPENT
    set_committed_value(user, "totp_last_step", step)
    return CodeUse.ACCEPTED


def _use_recovery_code(user: User, code: str) -> CodeUse:
    """Spend an unused recovery code, in one conditional UPDATE that only one request can win."""
    if len(totp.normalize_recovery_code(code)) != 12:
        return CodeUse.WRONG
    unused = (RecoveryCode.user_id == user.id, RecoveryCode.code_hash == totp.hash_recovery_code(code),
              RecoveryCode.used_at.is_(None))
    if db.session.execute(select(RecoveryCode.id).where(*unused)).first() is None:
        return CodeUse.WRONG  # checked with a read first, so a wrong guess writes nothing
    spent = db.session.execute(
        update(RecoveryCode).where(*unused).values(used_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount == 1
    return CodeUse.ACCEPTED if spent else CodeUse.SPENT


def confirm_enrolment(user: User, code: str, ip: str | None) -> list[str] | None:
    """Confirm the authenticator with a first code; returns the recovery codes to show once."""
    if not throttle.claim_login_attempt(user.username, ip):
        return None
    use = _use_totp_code(user, code)
    if use is not CodeUse.ACCEPTED:
        if use is CodeUse.WRONG:
            throttle.register_failure(throttle.ip_key(ip))
        return None
    user.totp_confirmed_at = utcnow()
    codes = replace_recovery_codes(user)
    record("account.second_factor_enrolled", object_type="user", object_id=user.id)
    return codes


def replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = totp.new_recovery_codes()
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=totp.hash_recovery_code(c)) for c in codes)
    return codes


def remaining_recovery_codes(user: User) -> int:
    return db.session.execute(
        select(func.count()).select_from(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).scalar_one()


def complete_login(user: User, ip: str | None) -> None:
    throttle.login_completed(user.username, ip)
    user.last_login_at = utcnow()
    record("login.success", object_type="user", object_id=user.id)


class PasswordRejected(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__(", ".join(problems))
        self.problems = problems


def change_password(user: User, current: str, new: str) -> None:
    """Change one's own password; every session of the account ends (the caller starts a new one)."""
    if not verify_password(user.password_hash, current):
        raise PasswordRejected(["wrong_current"])
    problems = password_problems(new, username=user.username)
    if verify_password(user.password_hash, new):
        problems.append("same_as_current")
    if problems:
        raise PasswordRejected(problems)
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    user.must_change_password = False
    credentials.revoke_all(user.id)
    record("account.password_changed", object_type="user", object_id=user.id)
