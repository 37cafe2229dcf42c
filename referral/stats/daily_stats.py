"""Keeping `referral_daily_stats` and `referral_weekly_stats` equal to what the referrals say, and
reading percentiles from their histograms.

A referral *contributes* to a few cells of the table (`contribution`): one on the day it was sent
(counted, maybe breached, one histogram bucket per step it reached), one on the day it was
completed, one on the day of its first breach. Every change to a referral is applied as the
difference between its contribution after and before (`apply_change`), in the same transaction as
the change, by the two writers of those facts: the workflow engine (every transition) and the SLA
sweep (first breaches). Each change goes to the cell of its day and to the cell of that day's week.
`rebuild` recomputes both tables from the referrals and breaches (after a bulk import, or to check
the incremental path: the tests compare the two).

Percentiles from a histogram are estimates (`estimate_percentile`): a bucket spans 22 % of its lower
edge, and values are assumed spread geometrically inside it, so an estimate is at worst about 10 %
from the exact value and usually within 1 to 2 % (BENCHMARKS.md measures it against the exact
percentiles at a million files). The dashboard uses them only where the population is too large to
sort on each request (`services.metrics.EXACT_PERCENTILES_UP_TO`).
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Connection,
    Date,
    Integer,
    String,
    Table,
    case,
    cast,
    delete,
    extract,
    func,
    insert,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)

from ..extensions import db
from ..models import Breach, Referral
from ..models.stats import (
    BUCKETS,
    COUNT_COLUMNS,
    HISTOGRAM_COLUMNS,
    STAT_STEPS,
    period_column,
    referral_daily_stats,
    referral_weekly_stats,
)
from ..models.vocab import plain_value

#: Growth of bucket edges: [r^(k-1), r^k) minutes for bucket k. 1.22^62 minutes is about 157 days:
#: longer durations share the last bucket.
RATIO = 1.22
_LOG_RATIO = math.log(RATIO)
STEP_STAMPS = {"acknowledge": "acknowledged_at", "decide": "decided_at", "first_action": "first_action_at",
               "complete": "completed_at"}
_INDEX = {name: i for i, name in enumerate(
    COUNT_COLUMNS + tuple(name for step in STAT_STEPS for name in HISTOGRAM_COLUMNS[step]))}
COLUMNS = tuple(_INDEX)

Key = tuple  # (day, agency_id, need value, urgency value)
Contribution = dict  # Key -> {column: count}


def bucket_of(minutes: float) -> int:
    """The histogram bucket of a duration in minutes (negative durations count as zero)."""
    if minutes < 1:
        return 0
    return min(BUCKETS - 1, 1 + int(math.log(minutes) / _LOG_RATIO))


def step_seconds(sent_at: datetime, stamp: datetime) -> int:
    """Whole seconds from sending to a step, rounded down: what PostgreSQL's rebuild computes too
    (`floor(extract(epoch ...))`), so both paths put a duration in the same bucket."""
    return math.floor((stamp - sent_at).total_seconds())


def bucket_bounds(bucket: int) -> tuple[float, float | None]:
    """[low, high) minutes of a bucket; the last one has no upper bound."""
    if bucket == 0:
        return 0.0, 1.0
    high = None if bucket == BUCKETS - 1 else RATIO ** bucket
    return RATIO ** (bucket - 1), high


def week_of(day: date) -> date:
    """The Monday starting the week of `day`."""
    return day - timedelta(days=day.weekday())


def _day(moment: datetime) -> date:
    """The UTC day of a timestamp (naive timestamps are UTC already)."""
    return (moment.astimezone(UTC) if moment.tzinfo else moment).date()


@dataclass(frozen=True)
class Facts:
    """What a referral contributes from: its routing, its step stamps, its first breach."""

    agency_id: int
    need: str
    urgency: str
    sent_at: datetime | None
    stamps: tuple  # acknowledged_at, decided_at, first_action_at, completed_at
    first_breach_at: datetime | None = None

    @classmethod
    def of(cls, referral: Referral, first_breach_at: datetime | None = None) -> Facts:
        return cls(referral.to_agency_id, plain_value(referral.need), plain_value(referral.urgency), referral.sent_at,
                   tuple(getattr(referral, STEP_STAMPS[s]) for s in STAT_STEPS), first_breach_at)


def contribution(facts: Facts) -> Contribution:
    cells: Contribution = defaultdict(lambda: defaultdict(int))
    route = (facts.agency_id, facts.need, facts.urgency)
    if facts.sent_at is not None:
        cell = cells[(_day(facts.sent_at), *route)]
        cell["sent"] += 1
        if facts.first_breach_at is not None:
            cell["breached"] += 1
        for step, stamp in zip(STAT_STEPS, facts.stamps, strict=True):
            if stamp is not None:
                cell[HISTOGRAM_COLUMNS[step][bucket_of(step_seconds(facts.sent_at, stamp) / 60)]] += 1
    completed_at = facts.stamps[-1]
    if completed_at is not None:
        cells[(_day(completed_at), *route)]["completed"] += 1
    if facts.first_breach_at is not None:
        cells[(_day(facts.first_breach_at), *route)]["overdue"] += 1
    return cells


def difference(before: Contribution, after: Contribution) -> Contribution:
    delta: Contribution = defaultdict(lambda: defaultdict(int))
    for sign, cells in ((-1, before), (1, after)):
        for key, counts in cells.items():
            for column, n in counts.items():
                delta[key][column] += sign * n
    return {key: {c: n for c, n in counts.items() if n} for key, counts in delta.items()
            if any(counts.values())}


def apply_change(before: Facts | None, after: Facts | None) -> None:
    """Add the difference between two states of one referral to the table (same transaction)."""
    apply_delta(difference(contribution(before) if before else {}, contribution(after) if after else {}))


def apply_delta(delta: Mapping[Key, Mapping[str, int]]) -> None:
    """Add counts to the cells of their days, and of their days' weeks."""
    _upsert(referral_daily_stats, delta)
    _upsert(referral_weekly_stats, by_week(delta))


def by_week(cells: Mapping[Key, Mapping[str, int] | list[int]]) -> dict:
    """Day cells added up into week cells (counts as dicts or as lists in COLUMNS order)."""
    weeks: dict = {}
    for (day, *route), counts in cells.items():
        key = (week_of(day), *route)
        if isinstance(counts, list):
            total = weeks.setdefault(key, [0] * len(counts))
            for i, n in enumerate(counts):
                total[i] += n
        else:
            total = weeks.setdefault(key, defaultdict(int))
            for column, n in counts.items():
                total[column] += n
    return weeks


def _upsert(table: Table, delta: Mapping[Key, Mapping[str, int]]) -> None:
    """INSERT ... ON CONFLICT DO UPDATE (PostgreSQL and SQLite), one statement per set of columns
    changed: two transactions creating the same cell at once both count, and a sweep batch of
    hundreds of breaches is a few statements. Rows go in one order for every writer: two of them
    cannot deadlock."""
    dialect = db.session.get_bind().dialect.name
    period = period_column(table)
    by_columns: dict[tuple, list] = defaultdict(list)
    for key in sorted(delta, key=str):
        counts = {column: n for column, n in delta[key].items() if n}
        if counts:
            by_columns[tuple(sorted(counts))].append(
                {period.name: key[0], "agency_id": key[1], "need": key[2], "urgency": key[3], **counts})
    for columns, rows in sorted(by_columns.items()):
        # One statement per set of columns, its rows as parameters: SQLAlchemy compiles it once
        # (a cached statement) and sends the rows in multi-row batches, instead of compiling a
        # VALUES clause of every row each time.
        db.session.execute(_upsert_statement(dialect, table.name, columns), rows)


@functools.cache
def _upsert_statement(dialect: str, table_name: str, columns: tuple[str, ...]):
    """The upsert adding `columns`, built once per process: building `excluded` for a table of
    about 260 columns costs some 10 ms, once per referral change and sweep batch otherwise."""
    table = next(t for t in (referral_daily_stats, referral_weekly_stats) if t.name == table_name)
    statement = _dialect_insert(dialect)(table)
    return statement.on_conflict_do_update(
        index_elements=[period_column(table), table.c.agency_id, table.c.need, table.c.urgency],
        set_={column: table.c[column] + statement.excluded[column] for column in columns},
    )


def _dialect_insert(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def first_breaches(breached: Mapping, at: datetime) -> None:
    """Timers just breached at `at` ({referral id: [timer ids]}, their breach rows already added):
    count the referrals that had no other breach as breached (on their sending day) and as overdue
    (on `at`'s day)."""
    ids = list(breached)
    if not ids:
        return
    timer_ids = [t for timers in breached.values() for t in timers]
    earlier = set(db.session.execute(
        select(Breach.referral_id).where(Breach.referral_id.in_(ids), Breach.timer_id.not_in(timer_ids))
    ).scalars())
    new = [i for i in ids if i not in earlier]
    if not new:
        return
    delta: Contribution = defaultdict(lambda: defaultdict(int))
    for row in db.session.execute(
        select(Referral.sent_at, Referral.to_agency_id, Referral.need, Referral.urgency)
        .where(Referral.id.in_(new), Referral.sent_at.is_not(None))
    ):
        route = (row.to_agency_id, plain_value(row.need), plain_value(row.urgency))
        delta[(_day(row.sent_at), *route)]["breached"] += 1
        delta[(_day(at), *route)]["overdue"] += 1
    apply_delta(delta)


# --- rebuilding -----------------------------------------------------------------------------


def compute(connection: Connection, *, chunk: int = 20_000) -> dict[Key, list[int]]:
    """Every cell of the table, computed from the referrals and breaches (streamed).

    On PostgreSQL the days and durations are computed by the database (plain dates and integers
    cross the wire: several times faster than timestamps for millions of referrals)."""
    first_breach = (select(Breach.referral_id, func.min(Breach.breached_at).label("at"))
                    .group_by(Breach.referral_id).subquery("first_breach"))
    stamps = [getattr(Referral, STEP_STAMPS[s]) for s in STAT_STEPS]
    if connection.dialect.name == "postgresql":
        def day(column):
            return cast(func.timezone("UTC", column), Date)

        def seconds(column):
            return cast(func.floor(extract("epoch", column - Referral.sent_at)), BigInteger)

        columns = [day(Referral.sent_at), *[seconds(c) for c in stamps], day(Referral.completed_at),
                   day(first_breach.c.at)]
    else:
        columns = [Referral.sent_at, *stamps, first_breach.c.at]
    query = (
        select(Referral.to_agency_id, type_coerce(Referral.need, String), type_coerce(Referral.urgency, String),
               *columns)
        .outerjoin(first_breach, first_breach.c.referral_id == Referral.id)
        .where(Referral.sent_at.is_not(None))
    )
    rows = connection.execute(query.execution_options(stream_results=True, yield_per=chunk))
    if connection.dialect.name != "postgresql":
        rows = ((agency, need, urgency, _day(sent_at),
                 *[None if s is None else step_seconds(sent_at, s) for s in steps],
                 _day(steps[-1]) if steps[-1] is not None else None, _day(breach_at) if breach_at else None)
                for agency, need, urgency, sent_at, *steps, breach_at in rows)
    return _cells(rows)


def _cells(rows) -> dict[Key, list[int]]:
    """Cells from (agency, need, urgency, sent day, seconds to each step..., completed day,
    first breach day) rows."""
    cells: dict[Key, list[int]] = {}
    width = len(COLUMNS)
    sent, breached, completed, overdue = (_INDEX[c] for c in COUNT_COLUMNS)
    offsets = [_INDEX[HISTOGRAM_COLUMNS[s][0]] for s in STAT_STEPS]

    def cell(day, route):
        key = (day, *route)
        row = cells.get(key)
        if row is None:
            row = cells[key] = [0] * width
        return row

    for agency_id, need, urgency, sent_day, *durations, completed_day, breach_day in rows:
        route = (agency_id, need, urgency)
        row = cell(sent_day, route)
        row[sent] += 1
        if breach_day is not None:
            row[breached] += 1
            cell(breach_day, route)[overdue] += 1
        for offset, duration in zip(offsets, durations, strict=True):
            if duration is not None:
                row[offset + bucket_of(duration / 60)] += 1
        if completed_day is not None:
            cell(completed_day, route)[completed] += 1
    return cells


def bucket_thresholds() -> tuple[int, ...]:
    """For buckets 1..BUCKETS-1, the fewest whole seconds that fall in that bucket or a later one:
    bucket k holds the durations of at least ``thresholds[k - 1]`` seconds and fewer than
    ``thresholds[k]``. Exactly `bucket_of` for whole seconds, with no logarithm: the database
    compares integers, and cannot round differently from Python."""
    thresholds = []
    for bucket in range(1, BUCKETS):
        seconds = max(60, math.floor(60 * RATIO ** (bucket - 1)) - 2)
        while bucket_of(seconds / 60) < bucket:
            seconds += 1
        thresholds.append(seconds)
    return tuple(thresholds)


def _bucket(seconds, thresholds: tuple[int, ...], low: int = 0, high: int = BUCKETS):
    """A binary search over the thresholds, as nested CASEs: six comparisons per duration."""
    if high - low == 1:
        return literal_column(str(low), Integer)
    middle = (low + high) // 2
    return case((seconds >= literal_column(str(thresholds[middle - 1]), Integer),
                 _bucket(seconds, thresholds, middle, high)), else_=_bucket(seconds, thresholds, low, middle))


def _utc_day(dialect: str, column):
    """The UTC day of a timestamp column (SQLite keeps naive UTC text)."""
    return cast(func.timezone("UTC", column), Date) if dialect == "postgresql" else func.date(column, type_=Date)


def _whole_seconds(dialect: str, stamp, sent):
    """Whole seconds from `sent` to `stamp`, rounded down as `step_seconds` does. On SQLite: the
    whole seconds of the text, plus the difference of its six digits of microseconds; a negative
    duration may round towards zero there, which changes no bucket (under a minute is bucket 0)."""
    if dialect == "postgresql":
        return cast(func.floor(extract("epoch", stamp - sent)), BigInteger)

    def micro(column):
        return cast(func.substr(column, 21, 6), Integer)

    whole = func.unixepoch(stamp, type_=Integer) - func.unixepoch(sent, type_=Integer)
    return (whole * 1_000_000 + micro(stamp) - micro(sent)) // 1_000_000


def rebuild_daily(dialect: str):
    """INSERT ... SELECT filling `referral_daily_stats` from the referrals and their first breaches.

    Each referral gives up to three cells (its sending day with its histogram buckets, its completion
    day, its first breach's day); the database adds them up in one pass, in bounded memory."""
    referrals, breaches = Referral.__table__, Breach.__table__
    thresholds = bucket_thresholds()
    first_breach = (select(breaches.c.referral_id, func.min(breaches.c.breached_at).label("first_at"))
                    .group_by(breaches.c.referral_id).subquery("first_breach"))
    facts = (
        select(referrals.c.to_agency_id.label("agency_id"), referrals.c.need, referrals.c.urgency,
               _utc_day(dialect, referrals.c.sent_at).label("sent_day"),
               _utc_day(dialect, referrals.c.completed_at).label("completed_day"),
               _utc_day(dialect, first_breach.c.first_at).label("breach_day"),
               *[_whole_seconds(dialect, referrals.c[STEP_STAMPS[step]], referrals.c.sent_at).label(step)
                 for step in STAT_STEPS])
        .outerjoin(first_breach, first_breach.c.referral_id == referrals.c.id)
        .where(referrals.c.sent_at.is_not(None))
        .subquery("facts")
    )
    bucketed = select(
        facts.c.agency_id, facts.c.need, facts.c.urgency, facts.c.sent_day, facts.c.completed_day,
        facts.c.breach_day,
        *[case((facts.c[step].is_(None), null()), else_=_bucket(facts.c[step], thresholds)).label(step)
          for step in STAT_STEPS],
    ).cte("bucketed")
    route = [bucketed.c.agency_id, bucketed.c.need, bucketed.c.urgency]

    def counts(sent, breached, completed, overdue):
        return [literal_column(str(n), Integer).label(name) for name, n in
                zip(COUNT_COLUMNS, (sent, breached, completed, overdue), strict=True)]

    no_buckets = [null().label(step) for step in STAT_STEPS]
    cells = union_all(
        select(bucketed.c.sent_day.label("day"), *route, literal_column("1", Integer).label("sent"),
               case((bucketed.c.breach_day.is_(None), 0), else_=1).label("breached"),
               *counts(0, 0, 0, 0)[2:], *[bucketed.c[step] for step in STAT_STEPS]),
        select(bucketed.c.completed_day, *route, *counts(0, 0, 1, 0), *no_buckets)
        .where(bucketed.c.completed_day.is_not(None)),
        select(bucketed.c.breach_day, *route, *counts(0, 0, 0, 1), *no_buckets)
        .where(bucketed.c.breach_day.is_not(None)),
    ).subquery("cells")
    keys = [cells.c.day, cells.c.agency_id, cells.c.need, cells.c.urgency]
    totals = [func.sum(cells.c[column]) for column in COUNT_COLUMNS] + [
        func.sum(case((cells.c[step] == bucket, 1), else_=0)) for step in STAT_STEPS for bucket in range(BUCKETS)]
    table = referral_daily_stats
    return insert(table).from_select(
        ["day", "agency_id", "need", "urgency", *COLUMNS], select(*keys, *totals).group_by(*keys))


def rebuild_weekly(dialect: str):
    """INSERT ... SELECT adding the daily cells up into weeks starting on Monday."""
    daily = referral_daily_stats
    week = (cast(func.date_trunc("week", daily.c.day), Date) if dialect == "postgresql"
            else func.date(daily.c.day, "weekday 0", "-6 days", type_=Date))  # the next Sunday (or that day) - 6
    keys = [week, daily.c.agency_id, daily.c.need, daily.c.urgency]
    return insert(referral_weekly_stats).from_select(
        ["week", "agency_id", "need", "urgency", *COLUMNS],
        select(*keys, *[func.sum(daily.c[column]) for column in COLUMNS]).group_by(*keys))


def rebuild(connection: Connection) -> int:
    """Replace both tables' content with what the referrals and breaches say, computed by the
    database (no row crosses the wire); returns the day rows written. `compute` is the same
    arithmetic in Python: the tests hold the two equal."""
    dialect = connection.dialect.name
    connection.execute(delete(referral_weekly_stats))
    connection.execute(delete(referral_daily_stats))
    connection.execute(rebuild_daily(dialect))
    connection.execute(rebuild_weekly(dialect))
    return connection.execute(select(func.count()).select_from(referral_daily_stats)).scalar_one()


def stored(connection: Connection, table: Table = referral_daily_stats) -> dict[Key, list[int]]:
    """A table as it is (rows of zeros left by changes that cancelled out are skipped)."""
    period = period_column(table).name
    result = {}
    for row in connection.execute(select(table)).mappings():
        values = [row[c] for c in COLUMNS]
        if any(values):
            result[(row[period], row["agency_id"], plain_value(row["need"]), plain_value(row["urgency"]))] = values
    return result


# --- percentiles from a histogram --------------------------------------------------------------


def estimate_percentile(counts: list[int], p: float) -> float | None:
    """percentile_cont(p) estimated from bucket counts: the values at the two ranks around
    p * (n - 1), each placed geometrically inside its bucket, linearly interpolated."""
    n = sum(counts)
    if n == 0:
        return None
    position = p * (n - 1)
    below = int(position)
    low = _value_at_rank(counts, below)
    if position == below or below + 1 >= n:
        return low
    return low + (position - below) * (_value_at_rank(counts, below + 1) - low)


def _value_at_rank(counts: list[int], rank: int) -> float:
    seen = 0
    for bucket, count in enumerate(counts):
        if rank < seen + count:
            low, high = bucket_bounds(bucket)
            share = (rank - seen + 0.5) / count
            if high is None:
                return low
            if bucket == 0:
                return share * high
            return low * (high / low) ** share
        seen += count
    raise ValueError("rank beyond the histogram")
