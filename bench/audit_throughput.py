"""Audited transactions per second against 1, 4 and 16 concurrent clients, beside a plain insert:
`python -m bench.audit_throughput --database-url URL [--clients 1 4 16] [--seconds 10]`.

Each client is a process of its own (the app, its own connection), as app workers are. A client
loops over one transaction: a small read, one access-log event (`audit.log.record`), COMMIT: the
event is written sealed and unchained, with no lock (issue 16, part 4). Meanwhile the sequencer
(`audit.sequencer.chain_pending`, here a thread of this process) links what was committed into the
chain every `--chain-seconds`, as the scheduler's job does; the results say how many events it
chained, how long its runs took, and how many still waited when the clients stopped (it keeps up
if that is about one period's worth). The floor is the same loop writing a row of the same size
into a table with no chain (`bench_plain_events`, made and dropped by this script). If the log
serialised the network, the audited figure would stop growing with clients while the floor grows.
Results go to `bench/results/<date>-audit-throughput.json`. PostgreSQL only.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import threading
import time
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.engine import make_url

from .generate import DEFAULT_URL, RESULTS, bench_app, ensure_database, migrate

PLAIN_TABLE = "bench_plain_events"


def _client(args: tuple) -> int:
    """One client: transactions committed in `seconds`, once every client is ready."""
    url, kind, barrier, seconds, work_ms = args
    app = bench_app(url)
    from referral.audit.context import Actor, acting_as
    from referral.audit.log import record
    from referral.extensions import db

    actor = Actor(user_id=None, username="bench", agency_id=None, roles=("coordinator",), channel="bench")
    done = 0
    with app.app_context(), acting_as(actor):
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        barrier.wait()
        end = time.time() + seconds
        while time.time() < end:
            db.session.execute(text("SELECT 1"))
            if work_ms:
                time.sleep(work_ms / 1000)  # the request's own work, before its commit
            if kind == "audited":
                record("bench.audit_throughput", object_type="bench", details={"client": os.getpid()})
            else:
                db.session.execute(text(f"INSERT INTO {PLAIN_TABLE} (occurred_at, action, details) "
                                        "VALUES (now(), 'bench.audit_throughput', :details)"),
                                   {"details": json.dumps({"client": os.getpid()})})
            db.session.commit()
            done += 1
        db.engine.dispose()
    return done


class _Sequencer(threading.Thread):
    """The scheduler's audit_chain job, every `period` seconds, until stopped."""

    def __init__(self, app, period: float):
        super().__init__(daemon=True)
        self.app, self.period = app, period
        self.stop = threading.Event()
        self.chained = 0
        self.runs: list[float] = []

    def run(self) -> None:
        from referral.audit.sequencer import chain_pending
        from referral.extensions import db

        with self.app.app_context():
            while not self.stop.wait(self.period):
                started = time.perf_counter()
                self.chained += chain_pending()
                db.session.commit()
                self.runs.append(time.perf_counter() - started)


def _drain(app) -> dict:
    """What still waits when the clients stop, then the time to chain it."""
    from referral.audit.sequencer import chain_pending, waiting
    from referral.extensions import db

    with app.app_context():
        backlog = waiting().count
        db.session.rollback()
        started = time.perf_counter()
        chain_pending()
        db.session.commit()
        return {"waiting_when_clients_stopped": backlog, "drain_seconds": round(time.perf_counter() - started, 3)}


def measure(url: str, clients: list[int], seconds: float, work_ms: float, chain_seconds: float = 2) -> dict:
    app = bench_app(url)
    migrate(app)
    from referral.extensions import db

    with app.app_context():
        db.session.execute(text(f"CREATE TABLE IF NOT EXISTS {PLAIN_TABLE} (id bigserial PRIMARY KEY, "
                                "occurred_at timestamptz NOT NULL, action text NOT NULL, details jsonb)"))
        db.session.commit()
        settings = {name: db.session.execute(text(f"SHOW {name}")).scalar_one()
                    for name in ("synchronous_commit", "fsync", "shared_buffers", "max_connections")}
        db.session.rollback()
    results = {}
    try:
        for count in clients:
            for kind in ("plain", "audited"):
                context = multiprocessing.get_context("spawn")
                sequencer = _Sequencer(app, chain_seconds) if kind == "audited" else None
                with context.Manager() as manager, context.Pool(count) as pool:
                    barrier = manager.Barrier(count)  # every client started and connected first
                    if sequencer:
                        sequencer.start()
                    done = pool.map(_client, [(url, kind, barrier, seconds, work_ms)] * count)
                results.setdefault(str(count), {})[kind] = {
                    "transactions": sum(done), "per_second": round(sum(done) / seconds, 1)}
                if sequencer:
                    sequencer.stop.set()
                    sequencer.join()
                    runs = sorted(sequencer.runs) or [0.0]
                    results[str(count)][kind]["sequencer"] = {
                        "period_seconds": chain_seconds, "runs": len(sequencer.runs), "chained": sequencer.chained,
                        "longest_run_seconds": round(runs[-1], 3), **_drain(app)}
                print(f"  {count:>2} clients, {kind:<7}: {sum(done) / seconds:8.1f} transactions/s", file=sys.stderr)
            row = results[str(count)]
            row["audited_vs_plain"] = round(row["audited"]["per_second"] / row["plain"]["per_second"], 3)
    finally:
        with app.app_context():
            db.session.execute(text(f"DROP TABLE IF EXISTS {PLAIN_TABLE}"))
            db.session.commit()
    return {"settings": settings, "by_clients": results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.audit_throughput", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--work-ms", type=float, default=0, help="each transaction's own work before its commit")
    parser.add_argument("--chain-seconds", type=float, default=2,
                        help="the sequencer's period (MASAR_AUDIT_CHAIN_SECONDS)")
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)
    if not make_url(args.database_url).drivername.startswith("postgresql"):
        print("error: PostgreSQL only (several processes write at once)", file=sys.stderr)
        return 2
    ensure_database(args.database_url)
    started = datetime.now(UTC)
    report = {"date": started.isoformat(timespec="seconds"), "database": make_url(args.database_url).database,
              "cpus": os.cpu_count(), "seconds": args.seconds,
              "work_ms": args.work_ms,
              **measure(args.database_url, args.clients, args.seconds, args.work_ms, args.chain_seconds)}
    path = args.output or RESULTS / f"{started:%Y-%m-%d}-audit-throughput.json"
    with open(path, "w") as handle:
        handle.write(json.dumps(report, indent=2) + "\n")
    print(f"results in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
