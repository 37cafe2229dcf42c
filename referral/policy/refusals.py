"""A refusal, logged once: the `access.denied` event of a refused action, whether the view's guard
or a service below it refused, on the pages as in the API."""

from __future__ import annotations

from ..audit.denials import record_denial
from .core import NotFoundError, PolicyError

_UNSET = object()


def record_refusal(error: PolicyError, *, action=None, record=_UNSET, channel: str | None = None) -> int:
    """Queue the denial event of `error` unless it was queued already, and return the status the
    user gets: 404 for a record outside her scope (its id cannot be probed), 403 otherwise. A guard
    names its own `action` and `record`; a handler of an error a service raised uses the error's."""
    status = 404 if isinstance(error, NotFoundError) else 403
    if not getattr(error, "audited", False):
        record_denial(action or error.action, error.record if record is _UNSET else record,
                      "not_found" if status == 404 else "forbidden", channel=channel)
        error.audited = True
    return status
