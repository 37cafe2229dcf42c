"""Random tokens and their stored digests (sessions, API tokens, recovery codes)."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_digest(token: str) -> str:
    """What the database keeps of a token: enough to find it, useless to replay."""
    return hashlib.sha256(token.encode()).hexdigest()


def short_ref(digest: str) -> str:
    """A short reference to a session or token for the audit log (not enough to find it)."""
    return digest[:12]


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
