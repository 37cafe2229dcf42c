"""Run the benchmarks: `python -m bench.run --database-url URL [--quick]`.

Each figure is measured beside its floor in the same run (see `bench.measure` and `bench.load`);
results go to `bench/results/<date>-n<files>.json` and a short table to stdout. `--quick` uses a
small database (generated on the spot if empty: 2,000 files) and few samples, for a check in about
two minutes; the figures in BENCHMARKS.md come from full runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from . import measure
from .generate import DEFAULT_URL, RESULTS, bench_app, ensure_database, generate, migrate, read_meta
from .paths import unused

QUICK_FILES = 2_000
#: The planner settings of a PostgreSQL tuned for the data (BENCHMARKS.md), set per connection with
#: ``--planner tuned``: the same server then answers as stock and as tuned, in two runs side by side.
TUNED_PLANNER = {"random_page_cost": "1.1", "effective_cache_size": "16GB", "work_mem": "16MB"}
ALL = ("crypto", "sweep", "search", "pages", "dashboard", "observatory", "load", "experiments")


def machine() -> dict:
    info = {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu_model"] = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                                  if line.startswith("model name")), None)
        meminfo = Path("/proc/meminfo").read_text()
        total_kb = int(next(line.split()[1] for line in meminfo.splitlines() if line.startswith("MemTotal")))
        info["ram_gb"] = round(total_kb / 1024 / 1024, 1)
        info["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    except (OSError, StopIteration, ValueError):
        pass
    return info


def planner_overrides(planner: str) -> dict:
    """App settings that make every connection plan as `planner` says (libpq's ``options``)."""
    if planner == "server":
        return {}
    options = " ".join(f"-c {name}={value}" for name, value in TUNED_PLANNER.items())
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "connect_args": {"options": options}}}


def database_info(app) -> dict:
    from referral.extensions import db
    from referral.models import Case, Referral, SlaTimer

    with app.app_context():
        engine = db.engine
        info = {"dialect": engine.dialect.name, "meta": read_meta(engine)}
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                info["server_version"] = conn.execute(text("SHOW server_version")).scalar()
                # As this run's connections plan (with --planner tuned, the settings set on them).
                info["settings"] = {name: conn.execute(text(f"SHOW {name}")).scalar()
                                    for name in ("shared_buffers", "work_mem", "effective_cache_size",
                                                 "max_connections", "random_page_cost")}
                info["size"] = conn.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")
                                            ).scalar()
                info["rows_estimate"] = dict(conn.execute(text(
                    "SELECT relname, reltuples::bigint FROM pg_class WHERE relkind = 'r' AND relname IN "
                    "('cases', 'referrals', 'referral_events', 'sla_timers', 'breaches', 'case_events', "
                    "'consents', 'notifications', 'audit_events') ORDER BY relname")).all())
        info["files"] = db.session.execute(select(func.count()).select_from(Case)).scalar_one()
        info["referrals"] = db.session.execute(select(func.count()).select_from(Referral)).scalar_one()
        info["open_referrals"] = db.session.execute(
            select(func.count()).select_from(Referral).where(Referral.is_open.is_(True))).scalar_one()
        info["running_timers"] = db.session.execute(
            select(func.count()).select_from(SlaTimer).where(SlaTimer.state == "running")).scalar_one()
        db.session.rollback()
    return info


def targets(results: dict) -> list[dict]:
    """The issue's targets, met or not, from the measured figures."""
    rows = []

    def add(name, target, value, met, note=""):
        rows.append({"target": name, "goal": target, "measured": value, "met": met, "note": note})

    sweep = results.get("sweep", {}).get("runs", [])
    if sweep:
        run = sweep[0]
        add("SLA sweep (1 min after the last)", "< 1 s", f"{run['app']['p50_ms']} ms ({run['due_timers']} due)",
            run["app"]["p50_ms"] < 1000,
            "run_sla_sweep" if results["sweep"]["sweep_function"] else "due-timer query only (no sweep job yet)")
    pages = results.get("pages", {}).get("pages", {})
    for key in ("officer_inbox", "officer_file_page", "caseworker_file_page"):
        page = pages.get(key)
        if page:
            constant = page["queries"]["min"] == page["queries"]["max"]
            add(key.replace("_", " "), "p99 < 50 ms, constant queries",
                f"p99 {page['time']['p99_ms']} ms, queries {page['queries']['min']}-{page['queries']['max']}",
                page["time"]["p99_ms"] < 50 and constant)
    search = results.get("search", {})
    for column in ("phone", "full_name"):
        if column in search:
            add(f"search by {column}", "< 20 ms", f"p99 {search[column]['app']['p99_ms']} ms",
                search[column]["app"]["p99_ms"] < 20)
    dashboard = results.get("dashboard", {})
    if dashboard.get("service", {}).get("timed_out"):
        add("dashboard, one year (service)", "< 1 s", f"> {dashboard['service']['timeout_s']} s (cut)", False,
            "statement timeout")
    elif dashboard.get("service"):
        add("dashboard, one year (service)", "< 1 s", f"p50 {dashboard['service']['time']['p50_ms']} ms",
            dashboard["service"]["time"]["p50_ms"] < 1000)
    if dashboard.get("page"):
        add("dashboard, one year (page)", "< 1 s", f"p50 {dashboard['page']['time']['p50_ms']} ms",
            dashboard["page"]["time"]["p50_ms"] < 1000)
    elif "dashboard" in results:
        add("dashboard", "< 1 s", None, None, dashboard.get("note", "not measured"))
    if dashboard.get("service_regional_90_days", {}).get("time", {}).get("p50_ms") is not None:
        p50 = dashboard["service_regional_90_days"]["time"]["p50_ms"]
        add("dashboard, one region, 90 days (service)", "< 1 s", f"p50 {p50} ms", p50 < 1000)
    if dashboard.get("estimates", {}).get("p50"):
        estimates = dashboard["estimates"]
        add("dashboard estimates vs exact percentiles", "(within 10 %)",
            f"median error {estimates['p50']['median_rel_error']:.1%}, max {estimates['p50']['max_rel_error']:.1%}"
            f" (p90 max {estimates['p90']['max_rel_error']:.1%})",
            max(estimates["p50"]["max_rel_error"], estimates["p90"]["max_rel_error"]) <= 0.1)
    observatory = results.get("observatory", {})
    for part in ("service", "page"):
        if observatory.get(part, {}).get("time", {}).get("p50_ms") is not None:
            p50 = observatory[part]["time"]["p50_ms"]
            add(f"observatory, national year ({part})", "< 2 s", f"p50 {p50} ms", p50 < 2000)
    crypto = results.get("crypto", {})
    if crypto:
        add("encryption vs raw AES-GCM", "within 3x", f"worst {crypto['worst_ratio']}x", crypto["worst_ratio"] <= 3)
    load = results.get("load", {})
    if load.get("file_pages_vs_bare_throughput") is not None:
        add("file pages under load vs bare", ">= 0.25", load["file_pages_vs_bare_throughput"],
            load["file_pages_vs_bare_throughput"] >= 0.25)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--quick", action="store_true", help="small database, few samples (about two minutes)")
    parser.add_argument("--only", nargs="+", choices=ALL, default=list(ALL))
    parser.add_argument("--samples", type=int, default=None, help="requests per page and searches (default 200)")
    parser.add_argument("--load-seconds", type=int, default=None, help="seconds per load scenario (default 20)")
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--planner", choices=("server", "tuned"), default="server",
                        help="'server': the server's own settings (stock on a fresh install); 'tuned': "
                             "BENCHMARKS.md's planner settings set on each connection")
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--summarize", type=Path, default=None, help="print the targets of a results file")
    args = parser.parse_args(argv)
    if args.summarize:
        report = json.loads(args.summarize.read_text())
        report["targets"] = targets(report["results"])
        args.summarize.write_text(json.dumps(report, indent=2, default=str) + "\n")
        _print(report, args.summarize)
        return 0
    samples = args.samples or (30 if args.quick else 200)
    load_seconds = args.load_seconds or (5 if args.quick else 20)

    ensure_database(args.database_url)
    app = bench_app(args.database_url, planner_overrides(args.planner))
    measure.add_bare_route(app)
    migrate(app)
    with app.app_context():
        from referral.extensions import db
        from referral.models import Case

        empty = not db.session.execute(select(func.count()).select_from(Case)).scalar_one()
        db.session.rollback()
    generated = None
    if empty:
        if not args.quick:
            print("error: the database has no files; run `python -m bench.generate` first (or --quick)",
                  file=sys.stderr)
            return 2
        generated = generate(app, QUICK_FILES, workers=min(2, os.cpu_count() or 1), progress=False)

    started = datetime.now(UTC)
    report = {"date": started.isoformat(timespec="seconds"), "quick": args.quick, "planner": args.planner,
              "machine": machine(),
              "database": database_info(app), "samples": samples, "results": {}, "seconds": {}}
    if generated:
        report["generated"] = generated
    steps = {
        "crypto": lambda: {**measure.measure_crypto(2_000 if args.quick else 50_000),
                           "seal": measure.measure_seal(app, 1_000 if args.quick else 20_000)},
        "sweep": lambda: measure.measure_sweep(app, repeat=3 if args.quick else 7),
        "search": lambda: measure.measure_search(app, samples),
        "pages": lambda: measure.measure_pages(app, samples),
        "dashboard": lambda: measure.measure_dashboard(app, samples=3 if args.quick else 10),
        "observatory": lambda: measure.measure_observatory(app, samples=3 if args.quick else 10),
        "load": lambda: _load(app, args, load_seconds),
        "experiments": lambda: _experiments(app, 2 if args.quick else 5),
    }
    files = report["database"]["files"]
    suffix = ("-quick" if args.quick else "") + ("-tuned" if args.planner == "tuned" else "")
    path = args.output or unused(RESULTS / f"{started:%Y-%m-%d}-n{files}{suffix}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    for name in ALL:
        if name not in args.only:
            continue
        print(f"measuring {name}...", file=sys.stderr)
        step_started = time.monotonic()
        report["results"][name] = steps[name]()
        report["seconds"][name] = round(time.monotonic() - step_started, 1)
        print(f"  {name}: {report['seconds'][name]} s", file=sys.stderr)
        path.write_text(json.dumps(report, indent=2, default=str) + "\n")  # what is measured survives a crash
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report["targets"] = targets(report["results"])
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    _print(report, path)
    return 0


def _load(app, args, seconds: int) -> dict:
    from .load import measure_load

    url = make_url(args.database_url).render_as_string(hide_password=False)
    return measure_load(app, url, seconds=seconds, workers=args.gunicorn_workers)


def _experiments(app, repeat: int) -> dict:
    from .experiments import run_dashboard_experiment, run_index_experiments

    return {"indexes": run_index_experiments(app, repeat), "dashboard": run_dashboard_experiment(app)}


def _print(report: dict, path: Path) -> None:
    print(f"N = {report['database']['files']:,} files, {report['database']['referrals']:,} referrals "
          f"({report['database']['dialect']}); results in {path}")
    for row in report["targets"]:
        mark = {True: "met", False: "NOT met", None: "n/a"}[row["met"]]
        print(f"  {row['target']:<32} {row['goal']:<30} {row['measured']!s:<40} {mark} {row['note']}")


if __name__ == "__main__":
    sys.exit(main())
