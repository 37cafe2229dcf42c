"""Worker sizing: p50 / p95 of gunicorn (gunicorn.conf.py) under concurrent clients, for a few
worker and thread settings, on a fresh PostgreSQL database.

    .venv/bin/python -m bench.workers --admin-url postgresql://postgres@127.0.0.1:5432/postgres

The load comes from this process (threads, one connection per request) while gunicorn runs as its
own processes; the mix is the login page (a template, the session) and `/readyz` (a committed
write), the lightest requests that still go through the whole stack. About 12 s per setting plus
start-up: a little over a minute for the default four settings. Only 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy_utils import create_database, database_exists, drop_database

from .load import _free_port, get, run_python

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ((2, 1), (4, 1), (2, 4), (4, 4))
MIX = [("/login", None), ("/readyz", None)]


def _percentile(ordered: list[float], p: float) -> float:
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 1)


def _fresh_database(admin_url: str, name: str) -> str:
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    if database_exists(url):
        drop_database(url)
    create_database(url)
    flask = str(Path(sys.executable).with_name("flask"))
    subprocess.run([flask, "--app", "wsgi", "db", "upgrade"], cwd=ROOT, check=True,  # noqa: S603
                   env=dict(os.environ, DATABASE_URL=url), capture_output=True)
    return url


def measure(url: str, workers: int, threads: int, *, seconds: int, clients: int) -> dict:
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=url, MASAR_SCHEDULER_IN_WEB="0", MASAR_RATELIMIT_ENABLED="0",
               MASAR_BIND=f"127.0.0.1:{port}", MASAR_GUNICORN_WORKERS=str(workers),
               MASAR_GUNICORN_THREADS=str(threads), MASAR_GUNICORN_LOG_LEVEL="warning")
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen([gunicorn, "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null",  # noqa: S603
                                   "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if get(port, "/readyz", None, timeout=5)[0] == 200:
                        break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"gunicorn did not start: {log.read()[-2000:]}")
                time.sleep(0.3)
            for _ in range(20):  # warm every worker's imports and pool
                get(port, "/login", None)
            latencies: list[float] = []
            result = run_python(port, MIX, seconds=seconds, threads=clients, connections=clients,
                                record=latencies.append)
        finally:
            server.terminate()
            server.wait(timeout=30)
    ordered = sorted(latencies)
    return {"workers": workers, "threads": threads, "clients": clients, "requests": result["requests"],
            "requests_per_second": result["requests_per_second"], "non_200": result["non_200"],
            "p50_ms": _percentile(ordered, 50), "p95_ms": _percentile(ordered, 95)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--seconds", type=int, default=12)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    url = _fresh_database(args.admin_url, "masar_bench_workers")
    results = [measure(url, w, t, seconds=args.seconds, clients=args.clients) for w, t in SETTINGS]
    print(json.dumps({"date": date.today().isoformat(), "cores": os.cpu_count(), "results": results}, indent=1))
    for r in results:
        print(f"{r['workers']} workers x {r['threads']} threads, {r['clients']} clients: "
              f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, {r['requests_per_second']} req/s, {r['non_200']} not 200")


if __name__ == "__main__":
    main()
