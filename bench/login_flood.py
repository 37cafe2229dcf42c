"""A flood of failed logins against the gunicorn deployment while legitimate requests keep coming:
`python -m bench.login_flood [--database-url URL] [--failures 100] [--workers 4]`.

Each attacker first fetches the login page (its CSRF token, as a browser would), then all post a
made-up username and a wrong password at once, released by a barrier. Meanwhile a visitor asks for
`/healthz` (which queries the database) and the login page in a loop. The report gives both sides'
latencies (p50, p99, max) and every status that was not the expected one: a failed login must
answer 200 (the form with its error), a legitimate request 200. Only 127.0.0.1, bounded in time.
Rate limits are off in the server (`bench.load.Server`): what is measured is the login path and
the database pool, not Flask-Limiter.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import threading
import time
from datetime import UTC, datetime

from .generate import RESULTS, bench_app, ensure_database, migrate
from .load import Server
from .measure import summary

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/masar_bench_login"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def _request(port: int, method: str, path: str, *, body: str | None = None, cookie: str | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        headers = {"Cookie": cookie} if cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode(errors="replace")
        return response.status, time.perf_counter() - started, text, response.getheader("Set-Cookie")
    finally:
        conn.close()


def _attacker(port: int, n: int, barrier: threading.Barrier, out: list) -> None:
    _status, _t, page, set_cookie = _request(port, "GET", "/login")
    match = CSRF_RE.search(page)
    token = match.group(1) or match.group(2)
    cookie = set_cookie.split(";", 1)[0]
    body = f"username=made-up-{n}&password=wrong-password-{n}&csrf_token={token}"
    barrier.wait()
    status, seconds, _text, _c = _request(port, "POST", "/login", body=body, cookie=cookie)
    out.append((status, seconds))


def _visitor(port: int, stop: threading.Event, out: list) -> None:
    paths = ("/healthz", "/login")
    i = 0
    while not stop.is_set():
        status, seconds, _text, _c = _request(port, "GET", paths[i % 2])
        out.append((status, seconds))
        i += 1
        time.sleep(0.05)


def flood(port: int, failures: int) -> dict:
    barrier = threading.Barrier(failures + 1)
    attacks, visits, stop = [], [], threading.Event()
    attackers = [threading.Thread(target=_attacker, args=(port, n, barrier, attacks)) for n in range(failures)]
    for thread in attackers:
        thread.start()
    barrier.wait()  # every attacker holds its page and token: release them together
    started = time.perf_counter()
    visitor = threading.Thread(target=_visitor, args=(port, stop, visits))
    visitor.start()
    for thread in attackers:
        thread.join(timeout=300)
    elapsed = time.perf_counter() - started
    stop.set()
    visitor.join(timeout=120)
    return {
        "failed_logins": failures,
        "flood_seconds": round(elapsed, 2),
        "attack_latency": summary([s for _status, s in attacks]),
        "attack_unexpected_statuses": sorted(status for status, _s in attacks if status != 200),
        "legitimate_requests": len(visits),
        "legitimate_latency": summary([s for _status, s in visits]),
        "legitimate_unexpected_statuses": sorted(status for status, _s in visits if status != 200),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--failures", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    ensure_database(args.database_url, replace=True)
    migrate(bench_app(args.database_url))
    server = Server(args.database_url, args.workers)
    try:
        server.wait()
        result = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "gunicorn_workers": args.workers,
                  **flood(server.port, args.failures)}
    finally:
        server.stop()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{datetime.now(UTC):%Y-%m-%d}-login-flood.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
