"""A separate app process for tests/test_extensions_shared_limits.py: builds the app with the settings given as
JSON, posts each body to the token endpoint, prints the statuses as JSON."""

from __future__ import annotations

import json
import sys

from tests.clock import follow_parent_clock

follow_parent_clock()

from referral import create_app  # noqa: E402  (after the clock, as the app reads it)

settings, bodies = json.loads(sys.argv[1]), json.loads(sys.argv[2])
client = create_app("test", settings).test_client()
print(json.dumps([client.post("/api/v1/auth/token", json=body).status_code for body in bodies]))
