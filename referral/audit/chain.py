"""Hashing of audit events: each event's hash covers its content and the previous event's hash."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

GENESIS_HASH = "0" * 64

# The fields an event's hash covers, in order. Adding one is a new chain version.
HASHED_FIELDS = (
    "id", "occurred_at", "action", "outcome", "actor_user_id", "actor_username", "actor_agency_id",
    "actor_roles", "session_ref", "object_type", "object_id", "case_id", "fields", "ip_address",
    "purpose", "break_glass_reason", "details", "prev_hash",
)


def _canonical(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "isoformat"):
        if getattr(value, "tzinfo", None) is not None:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(timespec="microseconds")
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if hasattr(value, "value"):  # enums
        return value.value
    return str(value)


def event_hash(event) -> str:
    """SHA-256 over the canonical JSON of the hashed fields of `event` (object or mapping)."""
    get = event.get if isinstance(event, dict) else lambda name: getattr(event, name)
    payload = {name: _canonical(get(name)) for name in HASHED_FIELDS}
    data = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()
