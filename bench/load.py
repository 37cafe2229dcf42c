"""Throughput and latency under concurrent load: gunicorn on the benchmark database, driven by wrk.

Sessions are inserted directly as server-side rows (the cookie is a random token, the row keeps
its SHA-256, as `security.sessions` does), for caseworkers, officers, coordinators and an auditor.
Every URL is checked to answer 200 before the load starts, and wrk counts any other status, so a
redirect to the login page cannot pass for a fast page. Only 127.0.0.1, bounded in time.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from flask import url_for
from sqlalchemy import func, select

from referral.extensions import db
from referral.models import Case, Referral, User, UserRole, UserSession
from referral.models.base import utcnow
from referral.models.vocab import Role
from referral.policy.recipients import recipient_access
from referral.security.tokens import new_token, token_digest

from .measure import summary

ROOT = Path(__file__).resolve().parent.parent
COOKIE = "masar_session"
#: PostgreSQL's random() seed for choosing the scenario's people and files.
SCENARIO_SEED = 0.17
WRK_SCRIPT = r"""
local lines = {}
for line in io.lines(os.getenv("BENCH_REQUESTS")) do
  local path, cookie = line:match("([^\t]+)\t(.+)")
  lines[#lines + 1] = {path, cookie}
end
math.randomseed(math.floor(os.clock() * 1000000) + #lines)
non200 = 0
local threads = {}
setup = function(thread) table.insert(threads, thread) end
request = function()
  local r = lines[math.random(#lines)]
  return wrk.format("GET", r[1], {["Cookie"] = "masar_session=" .. r[2]})
end
response = function(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end
done = function(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non200") end
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"non200":%d,"errors_connect":%d,"errors_read":%d,' ..
    '"errors_timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, bad, summary.errors.connect, summary.errors.read,
    summary.errors.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _session(user_id: int) -> str:
    token = new_token()
    now = utcnow()
    db.session.add(UserSession(token_hash=token_digest(token), user_id=user_id, data={}, created_at=now,
                               last_seen_at=now, expires_at=now + timedelta(hours=10), user_agent="masar-bench"))
    return token


def _users(role: Role, count: int, *, region: bool | None = None) -> list[User]:
    query = select(User).join(UserRole, UserRole.user_id == User.id).where(UserRole.role == role)
    if region is not None:
        query = query.where(User.region_id.is_not(None) if region else User.region_id.is_(None))
    return list(db.session.execute(query.order_by(func.random()).limit(count)).scalars())


def build_scenarios(app, per_role: int = 4, per_user: int = 30) -> dict[str, list[tuple[str, str]]]:
    """(path, session token) lists: the four roles' mix, file pages only, and the bare endpoint."""
    with app.test_request_context():
        dashboard = url_for("dashboard.index") if "dashboard.index" in app.view_functions else None
        audit = url_for("audit.index") if "audit.index" in app.view_functions else None
        directory = url_for("directory.index") if "directory.index" in app.view_functions else None
    with app.app_context():
        # The same people and files in every run on the same database: runs compare code, not draws
        # (a national coordinator's dashboard, or a caseworker with long files, moves the figures).
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(select(func.setseed(SCENARIO_SEED)))
        caseworker_lines, officer_lines, oversight_lines, file_lines, bare_lines = [], [], [], [], []
        for user in _users(Role.CASEWORKER, per_role):
            token = _session(user.id)
            owned = db.session.execute(select(Case.id).where(Case.owner_agency_id == user.agency_id)
                                       .order_by(func.random()).limit(per_user)).scalars().all()
            files = [(f"/cases/{c}", token) for c in owned]
            file_lines += files
            caseworker_lines += files + [("/", token), ("/cases/", token), ("/referrals/outbox", token)] * 3
        for user in _users(Role.OFFICER, per_role):
            token = _session(user.id)
            # Files the officer still reads (access ends with a refusal, a closed file, a withdrawn
            # consent, a month after completion): the others answer 404 and would leave the
            # scenario without her file pages.
            candidates = db.session.execute(
                select(Referral).where(Referral.to_agency_id == user.agency_id,
                                       Referral.status.not_in(["draft", "withdrawn"]))
                .order_by(func.random()).limit(4 * per_user)).scalars().all()
            received = [r for r in candidates if recipient_access(r.case, r).open][:per_user]
            files = [(f"/cases/{r.case_id}", token) for r in received]
            file_lines += files
            bare_lines += [(f"/_bench/bare/{r.id}", token) for r in received]
            officer_lines += files + [(f"/referrals/{r.id}", token) for r in received] + \
                [("/referrals/inbox", token), ("/", token)] * 5
        for user in _users(Role.COORDINATOR, 1, region=False) + _users(Role.COORDINATOR, 1, region=True):
            token = _session(user.id)
            oversight_lines += [(url, token) for url in ("/", directory, dashboard) if url]
        for user in _users(Role.AUDITOR, 1):
            token = _session(user.id)
            oversight_lines += [(url, token) for url in ("/", audit) if url]
        db.session.commit()
    # Weights of the mix: caseworkers 45 %, officers 40 %, coordinators and auditors 15 %.
    mix = _weighted([(caseworker_lines, 45), (officer_lines, 40), (oversight_lines, 15)], 2000)
    return {"mix_four_roles": mix, "file_pages": file_lines, "bare_endpoint": bare_lines}


def _weighted(groups: list[tuple[list, int]], size: int) -> list:
    rng = random.Random(7)
    out = []
    for lines, weight in groups:
        if lines:
            out += [rng.choice(lines) for _ in range(size * weight // 100)]
    rng.shuffle(out)
    return out


class Server:
    """gunicorn serving `bench.wsgi_bench:app` on a free local port; stopped by its own pid."""

    def __init__(self, database_url: str, workers: int, health: str = "/healthz"):
        self.port = _free_port()
        self.health = health
        env = dict(os.environ, BENCH_DATABASE_URL=database_url, MASAR_SCHEDULER_IN_WEB="0",
                   MASAR_RATELIMIT_ENABLED="0")
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.log = tempfile.NamedTemporaryFile("w+", prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603  (our own venv's gunicorn, fixed arguments)
            [gunicorn, "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}", "--worker-class", "sync",
             "--timeout", "120", "--log-level", "warning", "bench.wsgi_bench:app"],
            cwd=str(ROOT), env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.workers = workers

    def wait(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {Path(self.log.name).read_text()[-2000:]}")
            try:
                status, _ = get(self.port, self.health, None)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer {self.health} in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        os.unlink(self.log.name)


def get(port: int, path: str, token: str | None, timeout: float = 60) -> tuple[int, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Cookie": f"{COOKIE}={token}"} if token else {}
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        conn.close()


def _kind(path: str) -> str:
    return path.strip("/").split("/")[0] or "home"


def check_urls(port: int, lines: list[tuple[str, str]], sample: int = 40, timeout: float = 35) -> dict:
    """A sample of the distinct URLs, one of each kind and session first: each must answer 200
    within `timeout` (a 302 would be a dead session). wrk then counts every other answer."""
    distinct = list(dict.fromkeys(lines))
    first_of_kind = list({(_kind(path), token): (path, token) for path, token in distinct}.values())
    chosen = list(dict.fromkeys(first_of_kind + random.Random(5).sample(distinct, min(sample, len(distinct)))))
    statuses: dict[str, int] = {}
    failing: dict[tuple[str, str], str] = {}
    for path, token in chosen:
        try:
            status, _ = get(port, path, token, timeout)
            answer = str(status)
        except TimeoutError:
            answer = f"no answer in {timeout:.0f} s"
        statuses[answer] = statuses.get(answer, 0) + 1
        if answer != "200":
            failing.setdefault((_kind(path), token), answer)
    return {"distinct": len(distinct), "checked": sum(statuses.values()), "statuses": statuses, "failing": failing}


def run_wrk(port: int, lines: list[tuple[str, str]], *, seconds: int, threads: int, connections: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        requests_file = Path(tmp) / "requests.tsv"
        requests_file.write_text("".join(f"{path}\t{token}\n" for path, token in lines))
        script = Path(tmp) / "mix.lua"
        script.write_text(WRK_SCRIPT)
        out = subprocess.run(  # noqa: S603  (wrk from the system, fixed arguments, local target)
            [shutil.which("wrk"), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
             "-s", str(script), f"http://127.0.0.1:{port}"],
            env=dict(os.environ, BENCH_REQUESTS=str(requests_file)), capture_output=True, text=True,
            timeout=seconds + 120, check=False)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result: {out.stdout[-500:]} {out.stderr[-500:]}")
    raw = json.loads(line[len("BENCH_JSON "):])
    seconds_run = raw["duration_us"] / 1e6
    return {"tool": "wrk", "requests": raw["requests"], "seconds": round(seconds_run, 1),
            "requests_per_second": round(raw["requests"] / seconds_run, 1), "non_200": raw["non200"],
            "socket_errors": raw["errors_connect"] + raw["errors_read"] + raw["errors_timeout"],
            "p50_ms": round(raw["p50_us"] / 1000, 2), "p90_ms": round(raw["p90_us"] / 1000, 2),
            "p99_ms": round(raw["p99_us"] / 1000, 2), "max_ms": round(raw["max_us"] / 1000, 2),
            "threads": threads, "connections": connections}


def run_python(port: int, lines: list[tuple[str, str]], *, seconds: int, threads: int, connections: int,
               record=None) -> dict:
    """Fallback when wrk is missing: threads with http.client, one connection per request.
    `record(seconds)`, if given, receives every latency."""
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    latencies: list[float] = []
    bad = [0]

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            path, token = rng.choice(lines)
            status, elapsed = get(port, path, token)
            with lock:
                latencies.append(elapsed)
                if record is not None:
                    record(elapsed)
                bad[0] += status != 200

    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - started
    stats = summary(latencies)
    return {"tool": "python-threads", "requests": len(latencies), "seconds": round(elapsed, 1),
            "requests_per_second": round(len(latencies) / elapsed, 1), "non_200": bad[0], "socket_errors": 0,
            "p50_ms": stats.get("p50_ms"), "p99_ms": stats.get("p99_ms"), "max_ms": stats.get("max_ms"),
            "threads": connections, "connections": connections}


def measure_load(app, database_url: str, *, seconds: int = 20, workers: int = 4, connections: int = 8,
                 threads: int = 2) -> dict:
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return {"skipped": "load runs on PostgreSQL only (several processes share one database)"}
    scenarios = build_scenarios(app)
    tool = run_wrk if shutil.which("wrk") else run_python
    with app.test_request_context():
        health = url_for("health.ready")
    server = Server(database_url, workers, health)
    results = {"gunicorn_workers": workers, "scenarios": {}}
    try:
        server.wait()
        for name, lines in scenarios.items():
            check = check_urls(server.port, lines) if lines else {}
            # A kind of page that fails or hangs is reported and left out, not allowed to stall the run.
            failing = check.pop("failing", {})
            lines = [(path, token) for path, token in lines if (_kind(path), token) not in failing]
            check["excluded"] = sorted({f"{kind}: {answer}" for (kind, _), answer in failing.items()})
            if not lines:
                results["scenarios"][name] = {"url_check": check, "skipped": "no URL answered 200"}
                continue
            run = tool(server.port, lines, seconds=seconds, threads=threads, connections=connections)
            results["scenarios"][name] = {"url_check": check, **run}
    finally:
        server.stop()
    files = results["scenarios"].get("file_pages", {}).get("requests_per_second")
    bare = results["scenarios"].get("bare_endpoint", {}).get("requests_per_second")
    results["file_pages_vs_bare_throughput"] = round(files / bare, 3) if files and bare else None
    return results
