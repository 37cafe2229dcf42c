"""Hashing of audit events: each event's hash covers its content and the previous event's hash.

An event is sealed when it is written (`event_seal`: its content, under the same key, without the
link it does not have yet) and hashed into the chain when the sequencer links it (`event_hash`).

The hash is an HMAC-SHA256 under a key kept outside the database (MASAR_AUDIT_CHAIN_KEY): someone
who can write to the database but does not hold the key cannot recompute the hashes after changing
an event. `legacy_event_hash` (plain SHA-256, before the chain was keyed) is kept only for the tests of the
migration that re-keys an existing log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC

GENESIS_HASH = "0" * 64

# The fields an event's hash covers, in order. Adding one is a new chain version. Neither the chain
# position nor the seal is covered: the links prove the order (an event moved or removed breaks the
# prev_hash of the one after it), and the seal is only the writer's word until the event is chained.
HASHED_FIELDS = (
    "id", "occurred_at", "action", "outcome", "actor_user_id", "actor_username", "actor_agency_id",
    "actor_roles", "session_ref", "object_type", "object_id", "case_id", "fields", "ip_address",
    "purpose", "break_glass_reason", "details", "prev_hash",
)
#: What a seal covers: the event's content and id, not the link.
SEALED_FIELDS = tuple(name for name in HASHED_FIELDS if name != "prev_hash")
#: Keeps a seal from ever being taken for a chain hash (or the reverse).
_SEAL_DOMAIN = b"masar-audit-seal:v1:"


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


def _payload(event, names=HASHED_FIELDS) -> bytes:
    get = event.get if isinstance(event, dict) else lambda name: getattr(event, name)
    payload = {name: _canonical(get(name)) for name in names}
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event, key: bytes) -> str:
    """HMAC-SHA256 under `key` of the canonical JSON of the hashed fields of `event` (object or mapping)."""
    if not key:
        raise ValueError("the audit chain key is missing")
    return hmac.new(key, _payload(event), hashlib.sha256).hexdigest()


def event_seal(event, key: bytes) -> str:
    """HMAC-SHA256 under `key` of the event's content and id (object or mapping), before it is chained."""
    if not key:
        raise ValueError("the audit chain key is missing")
    return hmac.new(key, _SEAL_DOMAIN + _payload(event, SEALED_FIELDS), hashlib.sha256).hexdigest()


def legacy_event_hash(event) -> str:
    """The unkeyed SHA-256 of the first chain version (anyone could recompute it)."""
    return hashlib.sha256(_payload(event)).hexdigest()
