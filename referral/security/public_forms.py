"""CSRF for the public pages without a session.

The staff pages keep their CSRF token in the browser session; giving every anonymous visitor of
the report form a session would hand her a cookie, which the reporter's safety forbids (a cookie
on a shared phone tells someone she was here). A public form instead carries a signed,
short-lived token in a hidden field, and a POST must come from our own origin:

- `Sec-Fetch-Site` (sent by every current browser) must not be `cross-site`, and an `Origin`
  header, when present, must be ours: another site cannot post into the form;
- the token proves the form was served by us within `MAX_AGE`: a replayed or forged body fails.

There is no victim session for a forged request to ride on, so what CSRF protects here is the
integrity of what is submitted, and this is enough for it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "masar.public-form"
MAX_AGE = 2 * 60 * 60  # a slow phone and a long account: two hours to write


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def form_token(purpose: str) -> str:
    return _serializer().dumps(purpose)


def same_origin() -> bool:
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser's cross-site post (those carry Origin), e.g. a partner app
    ours = urlsplit(request.host_url)
    theirs = urlsplit(origin)
    return (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc)


def valid_form_token(token: str | None, purpose: str) -> bool:
    if not token or len(token) > 200:
        return False
    try:
        return _serializer().loads(token, max_age=MAX_AGE) == purpose
    except BadSignature:
        return False


ACCESS_SALT = "masar.report-access"
#: After she gave her receipt and passphrase, how long her status page lets her add information.
ACCESS_MAX_AGE = 30 * 60


def access_token(report_id) -> str:
    """Proof, in a hidden field of her status page, that she gave the passphrase (no session)."""
    return URLSafeTimedSerializer(current_app.secret_key, salt=ACCESS_SALT).dumps(str(report_id))


def report_id_from_access(token: str | None) -> str | None:
    if not token or len(token) > 200:
        return None
    try:
        return URLSafeTimedSerializer(current_app.secret_key, salt=ACCESS_SALT).loads(token, max_age=ACCESS_MAX_AGE)
    except BadSignature:
        return None
