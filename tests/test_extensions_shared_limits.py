"""Several app processes share one rate limit through Redis; without Redis the limits go on in
each process's memory and tokens are still issued (never a 500).

Needs the Redis at MASAR_TEST_REDIS (default redis://127.0.0.1:6379/0): skipped when it is absent,
except in CI (MASAR_REQUIRE_REDIS=1), where a missing Redis fails the run.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.clock import child_environment
from tests.factories import PASSWORD, totp_now

REDIS_URL = os.environ.get("MASAR_TEST_REDIS", "redis://127.0.0.1:6379/0")
REQUIRE_REDIS = os.environ.get("MASAR_REQUIRE_REDIS") == "1"
ROOT = Path(__file__).resolve().parent.parent
#: Nothing listens on port 1: connections are refused at once, as when Redis is down.
DOWN_REDIS_URL = "redis://127.0.0.1:1/0"

pytestmark = pytest.mark.slow


def _redis_missing(server: bool = True) -> str | None:
    try:
        import redis  # noqa: F401
    except ImportError:
        return "the redis client is not installed (requirements.txt)"
    if not server:
        return None
    parts = urlsplit(REDIS_URL)
    try:
        socket.create_connection((parts.hostname, parts.port or 6379), timeout=1).close()
    except OSError as exc:
        return f"no Redis at {REDIS_URL} ({exc}); set MASAR_TEST_REDIS"
    return None


def _require(missing: str | None) -> None:
    if missing and REQUIRE_REDIS:
        pytest.fail(f"MASAR_REQUIRE_REDIS=1 but {missing}")
    if missing:
        pytest.skip(missing)


@pytest.fixture
def redis_url():
    _require(_redis_missing())
    return REDIS_URL


@pytest.fixture
def redis_client():
    _require(_redis_missing(server=False))


def _app_process(database_url, storage, prefix, bodies, limit="3 per minute") -> list[int]:
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI": storage,
                "RATELIMIT_KEY_PREFIX": prefix, "RATELIMIT_LOGIN": limit}
    done = subprocess.run([sys.executable, "-m", "tests.ratelimit_child", json.dumps(settings), json.dumps(bodies)],  # noqa: S603
                          cwd=ROOT, env=child_environment(), capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _wrong(n: int) -> list[dict]:
    # A different username each time: the database's login throttle stays out of the way.
    return [{"username": f"nobody-{i}", "password": "wrong", "otp": "000000"} for i in range(n)]


def test_two_app_processes_share_one_limit_through_redis(database_url, redis_url):
    prefix = f"masar-test-{uuid.uuid4().hex[:10]}"  # other runs share this Redis
    assert _app_process(database_url, redis_url, prefix, _wrong(2)) == [401, 401]
    # Alone, the second process would allow 3; it has 1 left of the limit the first one used.
    assert _app_process(database_url, redis_url, prefix, _wrong(2)) == [401, 429]


def test_without_redis_limits_go_on_in_memory_and_tokens_are_issued(database_url, world, redis_client):
    good = {"username": world.cw_a.username, "password": PASSWORD, "otp": totp_now(world.cw_a)}
    statuses = _app_process(database_url, DOWN_REDIS_URL, "masar-down", [good, *_wrong(3)])
    assert statuses == [201, 401, 401, 429]
