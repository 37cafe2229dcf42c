"""The app as gunicorn serves it for the load test, plus the bare endpoint (benchmark only).

`BENCH_DATABASE_URL` names the benchmark database; configuration is the development one (demo
keys, which is what the generator sealed the files with).
"""

from __future__ import annotations

import os

from .generate import DEFAULT_URL, bench_app
from .measure import add_bare_route

# A runaway query must not hold a worker (and a core) for hours: cut statements after 30 s.
_timeout_ms = int(os.environ.get("BENCH_STATEMENT_TIMEOUT_MS", "30000"))
app = bench_app(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL), {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True,
                                  "connect_args": {"options": f"-c statement_timeout={_timeout_ms}"}},
})
add_bare_route(app)
