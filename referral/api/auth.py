"""Access tokens: exchange username, password and a second-factor code for a bearer token; list and
revoke tokens; who am I. The login rules are the web's (services.accounts): same throttling,
lockout and audit, same answer for an unknown user and a wrong password."""

from __future__ import annotations

from flask import current_app, g

from ..audit.context import set_actor
from ..extensions import limiter
from ..lifecycle import actor_for
from ..security.proxies import client_ip
from ..security.tokens import new_token, token_digest
from ..services import accounts
from ..services import api_tokens as tokens
from ..services.accounts import LoginStatus
from .base import ApiBlueprint
from .errors import ApiProblem
from .schemas.auth import MeSchema, TokenListSchema, TokenRequestSchema, TokenSchema
from .schemas.common import agency_ref

bp = ApiBlueprint("auth", __name__, url_prefix="/v1", tag="auth",
                  description="Access tokens (bearer), obtained with username, password and second factor.")


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


@bp.route("/auth/token", methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"])
@bp.doc(security=[])
@bp.arguments(TokenRequestSchema)
@bp.response(201, TokenSchema)
@bp.problems(401, 403, 429)
def create_token(data):
    """Get an access token

    Send it on every other call as `Authorization: Bearer <access_token>`. It expires after
    API_TOKEN_HOURS (8 by default) and ends at once, for good, when revoked, on "log out
    everywhere", when the password changes or is reset, when the second factor is reset and when
    the account is disabled (re-enabling it does not revive it).
    """
    ip = client_ip()
    result = accounts.check_password(data["username"], data["password"], ip)
    if result.status is LoginStatus.THROTTLED:
        raise ApiProblem(429, "too-many-requests")
    if result.status is not LoginStatus.OK:
        raise ApiProblem(401, "invalid-credentials")
    user = result.user
    if user.totp_confirmed_at is None:
        raise ApiProblem(403, "enrolment-required")
    status = accounts.check_second_factor(user, data["otp"], ip)
    if status is LoginStatus.THROTTLED:
        raise ApiProblem(429, "too-many-requests")
    if status is not LoginStatus.OK:
        raise ApiProblem(401, "invalid-credentials")
    if user.must_change_password:
        raise ApiProblem(403, "password-change-required")
    # From here on the log names her, and the token she is given (not an anonymous caller).
    secret = new_token()
    set_actor(actor_for(user, channel="api", session_digest=token_digest(secret)))
    accounts.complete_login(user, ip)
    secret, row = tokens.issue(user, name=data.get("name"), secret=secret)
    return {"access_token": secret, "token_type": "Bearer", "expires_at": row.expires_at, "token_id": row.id}


@bp.route("/auth/token", methods=["DELETE"])
@bp.response(204)
@bp.problems(401)
def revoke_current_token():
    """Revoke the token of this request (log out)"""
    tokens.revoke_token(g.api_token)


@bp.route("/auth/tokens", methods=["GET"])
@bp.response(200, TokenListSchema)
@bp.problems(401)
def list_tokens():
    """List your live tokens"""
    rows = tokens.live_tokens(g.user)
    return {"items": [{"id": r.id, "name": r.name, "created_at": r.created_at, "expires_at": r.expires_at,
                       "last_used_at": r.last_used_at, "current": r.id == g.api_token.id} for r in rows]}


@bp.route("/auth/tokens/<int(max=2147483647):token_id>", methods=["DELETE"])
@bp.response(204)
@bp.problems(401, 404)
def revoke_token(token_id):
    """Revoke a token: one of yours, or anyone's for an administrator"""
    row = tokens.find_for(g.user, token_id)
    if row is None:
        raise ApiProblem(404)
    tokens.revoke_token(row)


@bp.route("/me", methods=["GET"])
@bp.response(200, MeSchema)
@bp.problems(401)
def me():
    """Who the token belongs to: account, agency, roles"""
    user = g.user
    return {"id": user.id, "username": user.username, "display_name": user.display_name,
            "roles": sorted(r.value for r in user.roles), "agency": agency_ref(user.agency),
            "region_id": user.region_id, "locale": user.locale}
