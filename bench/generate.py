"""Fill a database with N realistic survivor files: `python -m bench.generate --database-url URL --files N`.

Creates the database if needed, runs the real migrations, builds the network (`bench.network`),
then builds files in chunks in worker processes (`bench.files`) and loads them with COPY
(PostgreSQL) or executemany (SQLite). Generated history writes no audit events: the access log
records accesses and changes people make, and none were made; the chain stays valid (empty), and
every page the benchmark opens afterwards appends to it normally.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy_utils import create_database, database_exists, drop_database

from .files import MAX_REFERRALS, Plan, first_index_by_year, init_worker, make_chunk
from .network import build_network
from .paths import unused
from .progress import Progress
from .sink import make_sink

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/masar_bench"
RESULTS = Path(__file__).resolve().parent / "results"
#: Files span three years up to now.
HISTORY = timedelta(days=3 * 365)
KEY_SETTINGS = ("MASTER_KEYS", "ACTIVE_MASTER_KEY_ID", "BLIND_INDEX_KEY", "BLIND_INDEX_BITS", "DEFAULT_PHONE_REGION",
                "AUDIT_CHAIN_KEY")


class GeneratorError(RuntimeError):
    pass


def ensure_database(url: str, *, replace: bool = False) -> None:
    """Create the PostgreSQL database named in `url` if missing (drop it first with `replace`)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        if replace and parsed.database and Path(parsed.database).exists():
            Path(parsed.database).unlink()
        return
    name = parsed.database
    if replace and "bench" not in name:
        raise GeneratorError(f"refusing to drop {name!r}: --replace only drops databases named *bench*")
    if replace and database_exists(parsed):
        drop_database(parsed)  # refused while another process is connected to it
    if not database_exists(parsed):
        create_database(parsed)


def bench_app(url: str, overrides: dict | None = None):
    """The app on `url` with the development configuration (demo keys, no scheduler in process)."""
    from referral import create_app

    return create_app("development", {"SQLALCHEMY_DATABASE_URI": url, "SCHEDULER_IN_WEB": False,
                                      **(overrides or {})})


def migrate(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


def generate(app, files: int, *, seed: int = 2026, workers: int = 2, chunk_files: int = 500,
             now: datetime | None = None, sweep_lag_minutes: int = 1, defer_indexes: bool | None = None,
             vacuum: bool = True, progress: bool = True) -> dict:
    """Generate `files` files into the (migrated, empty) database of `app`; return a summary."""
    from referral.extensions import db
    from referral.models import Agency

    if files < 1:
        raise GeneratorError("--files must be at least 1")
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    started = time.monotonic()
    with app.app_context():
        if db.session.execute(select(func.count()).select_from(Agency)).scalar_one():
            raise GeneratorError("the database already has agencies: generate into an empty one (--replace)")
        network = build_network(now)
        keys = {name: app.config.get(name) for name in KEY_SETTINGS}
        engine = db.engine
        dialect = engine.dialect.name
        users = network.pop("users")
    engine.dispose()  # worker processes fork without the parent's connections
    now_ts = int(now.timestamp())
    plan = Plan(files=files, seed=seed, now=now_ts, t0=now_ts - int(HISTORY.total_seconds()),
                sweep_until=now_ts - sweep_lag_minutes * 60, dialect=dialect, keys=keys,
                escalate_after=60 * int(app.config.get("SLA_ESCALATE_AFTER_MINUTES", 240)), **network)
    plan.first_index_by_year = first_index_by_year(plan)
    chunks = [(n, start, min(start + chunk_files, files)) for n, start in enumerate(range(0, files, chunk_files))]
    if defer_indexes is None:
        defer_indexes = files >= 50_000
    counts: dict[str, int] = {}
    stats: dict[str, int] = {}
    bar = Progress(files, "files", enabled=progress)
    pool = multiprocessing.get_context("fork").Pool(workers, init_worker, (plan,)) if workers > 1 else None
    sink = make_sink(engine, defer_indexes=defer_indexes and dialect == "postgresql")
    try:
        sink.before()
        if pool is None:
            init_worker(plan)
            results = map(make_chunk, chunks)
        else:
            results = pool.imap(make_chunk, chunks)
        for result in results:
            sink.write(result["tables"])
            _add(counts, result["counts"])
            _add(stats, result["stats"])
            bar.update(result["files"])
        bar.close()
        load_seconds = time.monotonic() - started
        timings = sink.after(vacuum=vacuum)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        sink.close()
    with app.app_context():
        _counters(plan)
        _sweep_state(plan)
        db.session.commit()
        timings["daily_stats"] = _daily_stats(db)
        if dialect == "postgresql":
            _comment(db, plan, counts)
    total = time.monotonic() - started
    referrals = counts.get("referrals", 0)
    return {
        "database": dialect, "files": files, "seed": seed, "workers": workers, "chunk_files": chunk_files,
        "generated_at": now.isoformat(), "sweep_lag_minutes": sweep_lag_minutes,
        "indexes_deferred": bool(defer_indexes and dialect == "postgresql"), "users": users,
        "rows": counts, "rows_total": sum(counts.values()),
        "referrals_per_file": round(referrals / files, 2),
        "stats": dict(sorted(stats.items())),
        "seconds": {"load": round(load_seconds, 1), **timings, "total": round(total, 1)},
        "files_per_second": round(files / load_seconds, 1),
    }


def _add(total: dict, part: dict) -> None:
    for key, value in part.items():
        total[key] = total.get(key, 0) + value


def _counters(plan: Plan) -> None:
    """Numbers the app hands out next must follow the generated ones."""
    from referral.extensions import db
    from referral.models import Counter

    years = sorted(plan.first_index_by_year)
    for position, year in enumerate(years):
        stop = plan.first_index_by_year[years[position + 1]] if position + 1 < len(years) else plan.files
        db.session.execute(insert(Counter).values(name="case", year=year,
                                                  value=stop - plan.first_index_by_year[year]))
    current = datetime.fromtimestamp(plan.now, UTC).year
    for year in range(years[0], current + 2):
        # Referral numbers are unique across years (file index x 10 + n), not gap-free within one.
        db.session.execute(insert(Counter).values(name="referral", year=year, value=plan.files * MAX_REFERRALS + 1))


def _daily_stats(db) -> float:
    """The dashboard's daily statistics, computed from the loaded referrals as a bulk import would
    (`referral.stats.daily_stats.rebuild`); returns the seconds it took."""
    from referral.stats.daily_stats import rebuild

    started = time.monotonic()
    rebuild(db.session.connection())
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE referral_daily_stats"))
    return round(time.monotonic() - started, 1)


def _sweep_state(plan: Plan) -> None:
    """The SLA sweep's own bookkeeping, as if it had run every minute until `sweep_until`: its
    last run, and the stalled-file watermark (files idle since before it were flagged then; that
    flag lives in the access log, which generated history does not write)."""
    from referral.extensions import db
    from referral.jobs.sweep import JOB, STALL_WATERMARK, stalled_after
    from referral.models import JobLock

    last = datetime.fromtimestamp(plan.sweep_until, UTC)
    db.session.add(JobLock(name=JOB, last_started_at=last, last_finished_at=last))
    db.session.add(JobLock(name=STALL_WATERMARK, last_finished_at=last - stalled_after()))


def _comment(db, plan: Plan, counts: dict) -> None:
    """Remember how the database was made, for `bench.run` (COMMENT ON DATABASE)."""
    meta = {"generator": "masar-bench", "files": plan.files, "seed": plan.seed, "now": plan.now,
            "sweep_until": plan.sweep_until, "referrals": counts.get("referrals", 0)}
    name = db.engine.url.database
    literal = json.dumps(meta).replace("'", "''")
    with db.engine.begin() as conn:
        conn.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{literal}'"))


def read_meta(engine) -> dict:
    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                                "WHERE datname = current_database()")).scalar()
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        return {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--chunk-files", type=int, default=500)
    parser.add_argument("--sweep-lag-minutes", type=int, default=1,
                        help="the SLA sweep last ran this long before the end of the history")
    parser.add_argument("--replace", action="store_true", help="drop and recreate the database first")
    parser.add_argument("--defer-indexes", action=argparse.BooleanOptionalAction, default=None,
                        help="drop secondary indexes during the load (default: from 50,000 files on PostgreSQL)")
    parser.add_argument("--no-vacuum", action="store_true", help="ANALYZE only, no VACUUM after the load")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    ensure_database(args.database_url, replace=args.replace)
    app = bench_app(args.database_url)
    migrate(app)
    try:
        summary = generate(app, args.files, seed=args.seed, workers=args.workers, chunk_files=args.chunk_files,
                           sweep_lag_minutes=args.sweep_lag_minutes, defer_indexes=args.defer_indexes,
                           vacuum=not args.no_vacuum, progress=not args.quiet)
    except GeneratorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    summary["database_url"] = make_url(args.database_url).render_as_string(hide_password=True)
    RESULTS.mkdir(exist_ok=True)
    path = unused(RESULTS / f"generate-{datetime.now(UTC):%Y-%m-%d}-{args.files}.json")
    path.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    print(f"summary written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
