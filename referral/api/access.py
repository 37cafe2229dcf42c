"""Who is calling (bearer token), loading records in scope, and optimistic concurrency headers.

A browser session cookie never authenticates an API call: the API is exempt from CSRF because it
only believes the Authorization header.
"""

from __future__ import annotations

from flask import g, request
from limits import parse as parse_limit

from ..audit import deferred
from ..audit.context import Actor, set_actor
from ..extensions import hit, limiter
from ..lifecycle import actor_for
from ..models.vocab import AuditOutcome
from ..policy import Action, require
from ..policy.core import PolicyError
from ..policy.refusals import record_refusal
from ..security.proxies import client_ip
from ..services import api_tokens as tokens
from ..services.cases import get_case
from ..services.referrals import get_referral
from .errors import ApiProblem

#: Endpoints open without a token: the token exchange itself and the API's documentation.
PUBLIC_ENDPOINTS = frozenset({"api.openapi_json", "api.docs", "api.auth.create_token",
                              "api.hsds.services"})  # the public directory, without any address
#: Unknown, expired or revoked tokens one address may present before it is refused unheard: each
#: rejection up to this is audited, beyond it nothing is written (a flood cannot grow the log).
REJECTED_TOKENS_PER_ADDRESS = parse_limit("20/minute")


def authenticate_request():
    """Before every API request: the token's user becomes `g.user` and the audit actor."""
    g.user = None  # whatever the session cookie said
    g.api_token = None
    set_actor(Actor(ip_address=client_ip(), channel="api"))  # not the browser session's, if any
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    scheme, _, secret = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiProblem(401, "unauthenticated", headers={"WWW-Authenticate": 'Bearer realm="masar"'})
    try:
        user, row = tokens.authenticate(secret.strip())
    except tokens.TokenRejected as exc:
        if limiter.enabled and not hit(REJECTED_TOKENS_PER_ADDRESS, "api-token-rejected",
                                                        client_ip()):
            raise ApiProblem(429, "too-many-requests", headers={"Retry-After": "60"}) from None
        deferred.record_after("api.token_rejected", outcome=AuditOutcome.DENIED, details={"reason": exc.reason})
        raise ApiProblem(401, "invalid-token",
                         headers={"WWW-Authenticate": 'Bearer realm="masar", error="invalid_token"'}) from None
    g.user, g.api_token = user, row
    set_actor(actor_for(user, channel="api", session_digest=row.token_hash))


def guard(action: Action, record=None):
    """The policy's answer. A refusal is logged here with the record it concerns, then becomes a
    404 or 403 problem in errors.py (which logs the refusals services raise themselves)."""
    try:
        return require(g.user, action, record)
    except PolicyError as exc:
        record_refusal(exc, action=action, record=record, channel="api")
        raise


def load_case(case_id, action: Action):
    case = get_case(case_id)
    if case is None:
        raise ApiProblem(404)
    return case, guard(action, case)


def load_referral(referral_id, action: Action):
    referral = get_referral(referral_id)
    if referral is None:
        raise ApiProblem(404)
    return referral, guard(action, referral)


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None, current: int, *, fallback: int | None) -> int | None:
    """The version the client says it read (If-Match), else `fallback`.

    "*" matches any version. A list matches when it holds the current version. Anything that is
    not one of our ETags cannot match: the update is refused as stale (412).
    """
    if if_match is None:
        return fallback
    tags = [t.strip() for t in if_match.split(",") if t.strip()]
    if "*" in tags:
        return fallback
    versions = []
    for tag in tags:
        value = tag[2:] if tag.startswith("W/") else tag
        value = value.strip('"')
        if value.isdigit() and len(value) < 10:
            versions.append(int(value))
    if current in versions:
        return current
    return -1 if not versions else versions[0]
