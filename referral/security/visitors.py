"""What the public pages keep of a visitor: nothing that outlives a day.

Rate limits need to recognise a visitor for an hour; they key on an HMAC of her address under a
key derived from the app secret and today's date. The address itself is never written anywhere,
and tomorrow's digest of the same address is unrelated to today's, so the counters cannot be
linked across days or reversed without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from flask import current_app


def visitor_digest(address: str | None, at: datetime) -> str:
    day_key = hmac.new(current_app.secret_key.encode(), f"masar.visitor:{at.date().isoformat()}".encode(),
                       hashlib.sha256).digest()
    return hmac.new(day_key, (address or "unknown").encode(), hashlib.sha256).hexdigest()[:32]
