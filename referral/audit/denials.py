"""The `access.denied` event every refusal writes, pages and API alike, naming the record refused."""

from __future__ import annotations

from ..models.vocab import AuditOutcome
from . import deferred


def record_denial(action, record, answer: str, *, channel: str | None = None) -> None:
    """Queue the event so it is written even though the refused request rolls back.

    `answer` is what the user got ("not_found" or "forbidden"); `record` the file or referral, if any.
    """
    is_case = type(record).__name__ == "Case"
    case_id = record.id if is_case else getattr(record, "case_id", None)
    details = {"action": getattr(action, "value", action), "answer": answer}
    if channel:
        details["channel"] = channel
    deferred.record_after("access.denied", outcome=AuditOutcome.DENIED,
                          object_type=type(record).__name__.lower() if record is not None else None,
                          object_id=getattr(record, "id", None), case_id=case_id, details=details)
