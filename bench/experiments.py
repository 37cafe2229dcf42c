"""Proposed changes, measured before and after in the benchmark database only.

Indexes are created by hand (`CREATE INDEX`), the app's own queries timed before and after, and the
index dropped again: the database is left as the migrations made it. The SQL comes from the app's
query builders (compiled with the values of a real user), so the figures are for the queries the
pages run. Code changes cannot be tried this way; BENCHMARKS.md describes them with the query
counts that motivate them.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql

from referral.extensions import db
from referral.models import Referral, User, UserRole
from referral.models.vocab import Role
from referral.policy import inbox_query, outbox_query
from referral.policy.queries import oversight_referrals_query

from .measure import busiest_user, summary


def _sql(query) -> str:
    return str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def _count_sql(query) -> str:
    return _sql(select(func.count()).select_from(query.order_by(None).subquery()))


def candidate_queries(now: datetime) -> dict[str, dict]:
    """The slow queries found at a million files, as the app builds them, each with the proposed
    change: an index (`ddl`), the query rewritten (the SQL text with the change made), or both.
    Each query is (SQL before, SQL after or None when only an index changes)."""
    coordinator = db.session.execute(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.COORDINATOR, User.region_id.is_(None)).limit(1)).scalar_one()
    officer = busiest_user(Role.OFFICER, inbox=True)
    caseworker = busiest_user(Role.CASEWORKER, inbox=False)
    oversight = oversight_referrals_query(coordinator).where(Referral.is_open.is_(True))
    open_tab = _sql(inbox_query(officer).where(Referral.is_open.is_(True)).limit(26))
    closed_tab = _sql(inbox_query(officer).where(Referral.is_open.is_(False)).order_by(None)
                      .order_by(Referral.updated_at.desc(), Referral.id).limit(26))
    bounced = _sql(outbox_query(caseworker).where(Referral.status.in_(["declined", "returned"]),
                                                  Referral.superseded_by_id.is_(None)).limit(10))
    most_overdue = _sql(oversight.where(Referral.next_due_at < now).order_by(Referral.next_due_at).limit(10))
    overdue_count = _count_sql(oversight.where(Referral.next_due_at < now))

    def plain_open(sql: str) -> str:
        return sql.replace("referrals.is_open IS true", "referrals.is_open")

    return {
        "inbox_order_without_is_open": {
            "why": "the open tab filters on is_open, but ORDER BY is_open DESC first keeps the index from giving "
                   "the order: every open referral of the agency is read and sorted to show 26",
            "ddl": None,
            "queries": {"inbox: open tab, first page (busiest officer)":
                        (open_tab, open_tab.replace("ORDER BY referrals.is_open DESC, ", "ORDER BY "))},
        },
        "inbox_closed_tab_index": {
            "why": "the closed tab sorts all of an agency's closed referrals by last change",
            "ddl": "CREATE INDEX ix_referrals_inbox_closed ON referrals (to_agency_id, is_open, updated_at)",
            "queries": {"inbox: closed tab, first page (busiest officer)": (closed_tab, None)},
        },
        "outbox_bounced_index": {
            "why": "the caseworker's home page and the outbox tab 'back with you' look for declined or returned "
                   "referrals not yet sent again among all of the association's referrals",
            "ddl": "CREATE INDEX ix_referrals_bounced ON referrals (from_agency_id, is_open, updated_at) "
                   "WHERE status IN ('declined', 'returned') AND superseded_by_id IS NULL",
            "queries": {"home: back with you (busiest association)": (bounced, None)},
        },
        "open_referrals_due_index": {
            "why": "the coordinator's home page counts and lists the network's overdue referrals on every load; "
                   "the partial index serves it only if the query says `WHERE is_open` (PostgreSQL does not "
                   "match `is_open IS true` to the index predicate)",
            "ddl": "CREATE INDEX ix_referrals_open_next_due ON referrals (next_due_at) WHERE is_open",
            "queries": {
                "home: ten most overdue (national coordinator)": (most_overdue, plain_open(most_overdue)),
                "home: overdue count (national coordinator)": (overdue_count, plain_open(overdue_count)),
            },
        },
    }


def time_sql(sql: str, repeat: int) -> dict:
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            cur.execute(sql)
            cur.fetchall()
            times.append(time.perf_counter() - started)
        cur.execute("EXPLAIN (COSTS OFF) " + sql)
        plan = [row[0] for row in cur.fetchall()]
        raw.rollback()
    finally:
        raw.close()
    return {**summary(times), "plan": plan}


def _captured_dashboard_sql(first, last) -> list[tuple[str, dict]]:
    """The statements `metrics.overview` sends for one year, captured (each cut after 2 s)."""
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    from referral.audit.context import acting_as
    from referral.services import metrics

    from .measure import actor_for

    user = db.session.execute(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.COORDINATOR, User.region_id.is_(None)).limit(1)).scalar_one()
    period = metrics.MetricsFilter.for_dates(first, last)
    captured = []

    def capture(_conn, _cursor, statement, params, _context, _many):
        if "referral" in statement:
            captured.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        for step in (lambda: metrics.overview(user, period, "agency"),):
            db.session.execute(text("SET statement_timeout = '2s'"))
            try:
                with acting_as(actor_for(user)):
                    step()
            except OperationalError:
                pass
            db.session.rollback()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    return captured


def _time_statement(sql: str, params: dict, timeout_s: int, setup: tuple[str, ...] = ()) -> float | None:
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(f"SET statement_timeout = '{timeout_s}s'")
        for statement in setup:
            cur.execute(statement)
        started = time.perf_counter()
        try:
            cur.execute(sql, params)
            cur.fetchall()
            elapsed = time.perf_counter() - started
        except Exception:  # noqa: BLE001  (statement timeout: report it as "did not finish")
            elapsed = None
        raw.rollback()
    finally:
        raw.close()
    return round(elapsed, 2) if elapsed is not None else None


def _statement_label(sql: str) -> str:
    for table, grain in (("referral_weekly_stats", "week"), ("referral_daily_stats", "day")):
        if table in sql:
            trend = f"GROUP BY {table}.{grain}" in sql
            return f"{'trend' if trend else 'sums per agency'} ({'whole weeks' if grain == 'week' else 'edge days'})"
    if "percentile_cont" in sql:
        return "exact percentiles"
    return "open and overdue now" if "is_open" in sql else "other"


def run_dashboard_experiment(app, timeout_s: int = 60) -> dict:
    """The statements the one-year dashboard sends, each timed on its own (a cold and a warm run)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return {"skipped": "PostgreSQL only"}
        last = datetime.now(UTC).date()
        first = last - timedelta(days=364)
        statements = _captured_dashboard_sql(first, last)
        results = []
        for sql, params in statements:
            results.append({"statement": _statement_label(sql), "timeout_s": timeout_s,
                            "first_s": _time_statement(sql, params, timeout_s),
                            "second_s": _time_statement(sql, params, timeout_s)})
        db.session.rollback()
    return {"period": [first.isoformat(), last.isoformat()], "statements": results,
            "none_means": "did not finish within the timeout"}


def _schema_indexes() -> set[str]:
    """Indexes the app's own schema (its models, hence its migrations) defines."""
    return {index.name for table in db.metadata.tables.values() for index in table.indexes}


def run_index_experiments(app, repeat: int = 5) -> dict:
    """Before, CREATE INDEX (timed, with its size), after, DROP INDEX: for each proposal that is not
    part of the schema yet. An index the migrations created is never touched: dropping it would
    leave the measured database without it for every later run."""
    results = {}
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return {"skipped": "index experiments run on PostgreSQL"}
        now = datetime.now(UTC)
        proposals = candidate_queries(now)
        landed = _schema_indexes()
        db.session.rollback()  # its read locks would make DROP INDEX wait for ever
        for name, proposal in proposals.items():
            ddl = proposal["ddl"]
            index_name = ddl.split()[2] if ddl else None
            if index_name in landed:
                results[name] = {"why": proposal["why"], "ddl": ddl, "landed": "in the schema (a migration)"}
                continue
            if index_name:
                with db.engine.begin() as conn:
                    conn.execute(text(f"DROP INDEX IF EXISTS {index_name}"))  # left by an interrupted run
            before = {label: time_sql(sql, repeat) for label, (sql, _after) in proposal["queries"].items()}
            build = size = None
            try:
                if ddl:
                    with db.engine.begin() as conn:
                        started = time.perf_counter()
                        conn.execute(text(ddl))
                        build = round(time.perf_counter() - started, 1)
                        size = conn.execute(text(f"SELECT pg_size_pretty(pg_relation_size('{index_name}'))")).scalar()
                after = {label: time_sql(after_sql or sql, repeat)
                         for label, (sql, after_sql) in proposal["queries"].items()}
            finally:
                if index_name:
                    with db.engine.begin() as conn:
                        conn.execute(text(f"DROP INDEX IF EXISTS {index_name}"))
            results[name] = {"why": proposal["why"], "ddl": ddl, "build_seconds": build, "size": size, "queries": {
                label: {"before_p50_ms": before[label]["p50_ms"], "after_p50_ms": after[label]["p50_ms"],
                        "speedup": round(before[label]["p50_ms"] / max(after[label]["p50_ms"], 1e-3), 1),
                        "plan_before": before[label]["plan"], "plan_after": after[label]["plan"],
                        "sql_before": sql, "sql_after": after_sql}
                for label, (sql, after_sql) in proposal["queries"].items()}}
    return results
