"""Response-time statistics for coordinators, computed by the database.

Every number here is an SQL aggregate over referral metadata (agencies, need, urgency, timestamps):
no referral is loaded into Python and nothing is decrypted. Scoping follows
`policy.queries.oversight_referrals_query`: a regional coordinator sees the referrals received by
agencies of her region, a national one all of them.

Where the numbers come from (a year of a national network is two million referrals: BENCHMARKS.md):
- counts sent, breached, completed and went overdue, and the step histograms: the daily statistics
  (`referral_weekly_stats` for whole weeks, `referral_daily_stats` for the days at either end of
  the period; kept by the workflow engine and the sweep: `stats.daily_stats`);
- open and overdue now: the open referrals sent in the period (``ix_referrals_open_sent``);
- medians and 90th percentiles: exact while the population has at most ``EXACT_PERCENTILES_UP_TO``
  referrals (PostgreSQL's `percentile_cont`; on SQLite, which has no ordered-set aggregate, a window
  query returns only the rows around each percentile, interpolated exactly as `percentile_cont`
  does); above it, estimated from the histograms, and flagged as estimates.

Durations are elapsed (wall-clock) minutes from sending; the SLA timers count business time, but a
statistic of how long people waited is honest in wall time.

Small numbers are suppressed (see `SUPPRESS_BELOW`): a group of fewer than 5 referrals shows no
figures, a median over fewer than 5 durations is not given, a weekly count of 1 to 4 is "<5".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Float, Integer, Select, Table, cast, extract, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from ..audit.log import record
from ..extensions import db
from ..models import Agency, Referral, Region, User
from ..models.base import utcnow
from ..models.stats import HISTOGRAM_COLUMNS, period_column, referral_daily_stats, referral_weekly_stats
from ..models.vocab import ReferralStatus, ServiceCategory, Urgency, plain_value
from ..policy import Action, require
from ..stats import daily_stats
from .paging import page_of

#: Cells counting fewer referrals than this are not shown (statistics disclosure control).
SUPPRESS_BELOW = 5
#: Groupings of the per-group table: receiving agency, need (service category), the receiving
#: agency's region, urgency.
DIMENSIONS = ("agency", "service", "region", "urgency")
#: Steps measured from sending, with the Referral column that stamps each.
STEPS = ("acknowledge", "decide", "first_action", "complete")
STEP_COLUMNS = {
    "acknowledge": Referral.acknowledged_at,
    "decide": Referral.decided_at,
    "first_action": Referral.first_action_at,
    "complete": Referral.completed_at,
}
PERCENTILES = (0.5, 0.9)
#: Above this many referrals in the population, percentiles are estimated from the daily histograms
#: instead of sorting every duration on each request (about 0.1 s per 20,000 referrals on PostgreSQL).
EXACT_PERCENTILES_UP_TO = 20_000
DEFAULT_PERIOD_DAYS = 90
MAX_PERIOD_DAYS = 366

Recipient = aliased(Agency, name="recipient")


@dataclass(frozen=True)
class MetricsFilter:
    """Referrals sent in [start, end) matching the optional filters (all on the receiving side)."""

    start: datetime
    end: datetime
    region_id: int | None = None
    agency_id: int | None = None
    category: ServiceCategory | None = None
    urgency: Urgency | None = None

    @classmethod
    def for_dates(cls, first: date, last: date, **filters) -> MetricsFilter:
        """Whole UTC days from `first` to `last`, both included."""
        start = datetime.combine(first, time.min, tzinfo=UTC)
        end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
        return cls(start=start, end=end, **filters)

    @classmethod
    def default(cls, today: date | None = None, **filters) -> MetricsFilter:
        today = today or utcnow().date()
        return cls.for_dates(today - timedelta(days=DEFAULT_PERIOD_DAYS), today, **filters)


@dataclass(frozen=True)
class Duration:
    """Minutes from sending to one step, over the referrals that reached it."""

    count: int
    median: float | None = None
    p90: float | None = None
    #: The percentiles were estimated from the daily histograms (large populations), not sorted.
    estimated: bool = False

    @property
    def suppressed(self) -> bool:
        return self.count < SUPPRESS_BELOW


@dataclass(frozen=True)
class GroupStats:
    #: Agency id, region id (None: agencies without a region), category or urgency value; None for totals.
    key: object
    sent: int
    open: int
    overdue: int
    breached: int
    durations: dict[str, Duration] = field(default_factory=dict)

    @property
    def suppressed(self) -> bool:
        return self.sent < SUPPRESS_BELOW

    @property
    def breach_rate(self) -> float | None:
        """Share of referrals sent with at least one breach."""
        return self.breached / self.sent if self.sent else None


@dataclass(frozen=True)
class WeekPoint:
    """Counts for the week starting `week` (Monday, UTC): referrals sent, that went overdue (first
    breach recorded), and completed that week."""

    week: date
    sent: int = 0
    overdue: int = 0
    completed: int = 0


@dataclass(frozen=True)
class ReferralLine:
    """One line of a drill-down list: metadata only, never survivor data."""

    id: object
    reference: str
    to_agency_id: int
    need: ServiceCategory
    urgency: Urgency
    status: ReferralStatus
    sent_at: datetime | None
    next_due_at: datetime | None
    decided_at: datetime | None


def is_suppressed_count(value: int) -> bool:
    return 0 < value < SUPPRESS_BELOW


# --- scope and population -------------------------------------------------------------------


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _conditions(user: User, f: MetricsFilter) -> list:
    """The population: sent in the period, in the user's scope, matching the filters."""
    return _filtered(user, f, [Referral.sent_at >= f.start, Referral.sent_at < f.end],
                     Referral.to_agency_id, Referral.need, Referral.urgency)


def _filtered(user: User, f: MetricsFilter, period: list, agency, need, urgency) -> list:
    """`period` and the scope and filters, on the agency, need and urgency columns given."""
    conditions = list(period)
    if user.region_id is not None:
        conditions.append(Recipient.region_id == user.region_id)
    if f.region_id is not None:
        conditions.append(Recipient.region_id == f.region_id)
    if f.agency_id is not None:
        conditions.append(agency == f.agency_id)
    if f.category is not None:
        conditions.append(need == ServiceCategory(f.category))
    if f.urgency is not None:
        conditions.append(urgency == Urgency(f.urgency))
    return conditions


def _from(query: Select) -> Select:
    return query.select_from(Referral).join(Recipient, Recipient.id == Referral.to_agency_id)


def _key(by: str | None):
    if by is None:
        return literal(None)
    return {
        "agency": Referral.to_agency_id,
        "service": Referral.need,
        "region": Recipient.region_id,
        "urgency": Referral.urgency,
    }[by]


def _minutes_since_sent(column):
    if _dialect() == "postgresql":
        return cast(extract("epoch", column - Referral.sent_at), Float) / 60.0
    return (func.julianday(column) - func.julianday(Referral.sent_at)) * 1440.0


def _check(user: User, by: str | None = None) -> None:
    require(user, Action.DASHBOARD_READ)
    if by is not None and by not in DIMENSIONS:
        raise ValueError(f"unknown grouping {by!r}")


# --- per-group statistics -------------------------------------------------------------------


def group_stats(user: User, f: MetricsFilter, by: str, *, now: datetime | None = None) -> list[GroupStats]:
    """One row per value of `by` that has referrals in the period, busiest first; the suppressed
    (small) groups last, in key order, so their order does not tell their sizes apart."""
    _check(user, by)
    return _ordered(_aggregate(user, f, by, now or utcnow())[0])


def totals(user: User, f: MetricsFilter, *, now: datetime | None = None) -> GroupStats:
    """The same statistics over the whole filtered population."""
    _check(user)
    return _aggregate(user, f, None, now or utcnow())[1]


def _ordered(rows: list[GroupStats]) -> list[GroupStats]:
    return sorted(rows, key=lambda r: (r.suppressed, 0 if r.suppressed else -r.sent, str(r.key)))


def _aggregate(user: User, f: MetricsFilter, by: str | None, now: datetime) -> tuple[list[GroupStats], GroupStats]:
    """Per-group rows (none when `by` is None) and the totals.

    Counts and histograms come from the weekly and daily statistics (one row per week or day,
    agency, need and urgency: a year of a national network is about twenty-five thousand rows); what is open and
    overdue now is counted live on the open referrals (``ix_referrals_open_sent``). Medians and
    90th percentiles are exact while the population is small enough to sort
    (``EXACT_PERCENTILES_UP_TO``), estimated from the histograms above it."""
    sums = _stored_sums(user, f, by)
    live = _open_counts(user, f, by, now)
    total = [sum(column) for column in zip(*sums.values(), strict=True)] if sums else [0] * len(daily_stats.COLUMNS)
    sent = _COLUMN["sent"]
    exact = total[sent] <= EXACT_PERCENTILES_UP_TO
    quantiles = _exact_percentiles(user, f, by) if exact and by is not None else {}
    total_quantiles = _exact_percentiles(user, f, None) if exact else {}
    groups = [_group_stats(key, vector, live.get(key, (0, 0)), quantiles, exact) for key, vector in sums.items()
              if vector[sent]] if by is not None else []
    live_total = tuple(sum(values) for values in zip(*live.values(), strict=True)) if live else (0, 0)
    return groups, _group_stats(None, total, live_total, total_quantiles, exact)


_COLUMN = {name: i for i, name in enumerate(daily_stats.COLUMNS)}
_HISTOGRAM_SLICES = {step: slice(_COLUMN[HISTOGRAM_COLUMNS[step][0]], _COLUMN[HISTOGRAM_COLUMNS[step][-1]] + 1)
                     for step in STEPS}


def _group_stats(key, vector: list[int], live: tuple[int, int], quantiles: dict, exact: bool) -> GroupStats:
    durations = {}
    for step in STEPS:
        histogram = vector[_HISTOGRAM_SLICES[step]]
        if exact:
            median, p90 = quantiles.get((key, step), (None, None))
        else:
            median, p90 = (daily_stats.estimate_percentile(histogram, p) for p in PERCENTILES)
        durations[step] = Duration(sum(histogram), _float(median), _float(p90), estimated=not exact)
    return GroupStats(key=key, sent=vector[_COLUMN["sent"]], open=live[0], overdue=live[1],
                      breached=vector[_COLUMN["breached"]], durations=durations)


def _stats_key(table: Table, by: str | None):
    if by is None:
        return literal(None)
    return {"agency": table.c.agency_id, "service": table.c.need, "region": Recipient.region_id,
            "urgency": table.c.urgency}[by]


def _end_day(f: MetricsFilter) -> date:
    """The first day after the period (periods are whole UTC days)."""
    return f.end.date() if f.end.time() == time.min else f.end.date() + timedelta(days=1)


def _segments(f: MetricsFilter, last: date | None = None) -> list[tuple[Table, date, date]]:
    """The period (up to the day before `last`, if given) as the statistics tables cover it: whole
    weeks from `referral_weekly_stats`, the days before the first Monday and from the last one
    from `referral_daily_stats`. Each segment is (table, first, end) with `end` excluded."""
    first, end = f.start.date(), _end_day(f)
    if last is not None:
        end = min(end, last)
    if first >= end:
        return []
    weeks_from = daily_stats.week_of(first + timedelta(days=6))  # the first Monday on or after `first`
    weeks_to = daily_stats.week_of(end)
    if weeks_from >= weeks_to:
        return [(referral_daily_stats, first, end)]
    segments = [(referral_weekly_stats, weeks_from, weeks_to)]
    if first < weeks_from:
        segments.append((referral_daily_stats, first, weeks_from))
    if weeks_to < end:
        segments.append((referral_daily_stats, weeks_to, end))
    return segments


def _segment_query(table: Table, first: date, end: date, user: User, f: MetricsFilter, *columns) -> Select:
    period = period_column(table)
    query = select(*columns).select_from(table).join(Recipient, Recipient.id == table.c.agency_id)
    return query.where(*_filtered(user, f, [period >= first, period < end], table.c.agency_id, table.c.need,
                                  table.c.urgency))


def _stored_sums(user: User, f: MetricsFilter, by: str | None) -> dict:
    """key -> the sums of every column of the statistics over the period, in COLUMNS order."""
    result: dict = {}
    for table, first, end in _segments(f):
        key = _stats_key(table, by).label("key")
        query = _segment_query(table, first, end, user, f, key,
                               *[func.sum(table.c[c]) for c in daily_stats.COLUMNS])
        if by is not None:
            query = query.group_by(key)
        for row in db.session.execute(query):
            if row[1] is None:
                continue  # no row in the segment: SUM over nothing
            values = [int(v or 0) for v in row[1:]]
            key = plain_value(row[0])
            total = result.get(key)
            result[key] = values if total is None else [a + b for a, b in zip(total, values, strict=True)]
    return result


def _open_counts(user: User, f: MetricsFilter, by: str | None, now: datetime) -> dict:
    """key -> (open, overdue now) among the referrals sent in the period."""
    key = _key(by).label("key")
    query = _from(select(key, func.count(), func.count().filter(Referral.next_due_at < now)))
    query = query.where(*_conditions(user, f), Referral.is_open)  # plain, to match the partial index
    if by is not None:
        query = query.group_by(key)
    return {plain_value(row[0]): (row[1], row[2]) for row in db.session.execute(query) if row[1]}


def _exact_percentiles(user: User, f: MetricsFilter, by: str | None) -> dict:
    """(key, step) -> (median, p90), computed exactly by the database from the referrals."""
    if _dialect() != "postgresql":
        return _sqlite_percentiles(user, f, by)
    key = _key(by).label("key")
    columns = [key]
    for column in STEP_COLUMNS.values():
        minutes = _minutes_since_sent(column)
        columns += [func.percentile_cont(p).within_group(minutes) for p in PERCENTILES]
    query = _from(select(*columns)).where(*_conditions(user, f))
    if by is not None:
        query = query.group_by(key)
    result = {}
    for row in db.session.execute(query):
        for i, step in enumerate(STEPS):
            result[(plain_value(row[0]), step)] = (row[1 + 2 * i], row[2 + 2 * i])
    return result


def _float(value) -> float | None:
    return None if value is None else round(float(value), 2)


def _sqlite_percentiles(user: User, f: MetricsFilter, by: str | None) -> dict:
    """(key, step) -> (median, p90): the window query returns only the rows percentile_cont needs."""
    key = _key(by)
    parts = [
        _from(select(key.label("key"), literal(step).label("step"), _minutes_since_sent(column).label("d")))
        .where(*_conditions(user, f), column.is_not(None))
        for step, column in STEP_COLUMNS.items()
    ]
    durations = union_all(*parts).subquery("durations")
    partition = (durations.c.step, durations.c.key)
    ranked = select(
        durations.c.key, durations.c.step, durations.c.d,
        func.row_number().over(partition_by=partition, order_by=durations.c.d).label("rn"),
        func.count().over(partition_by=partition).label("n"),
    ).subquery("ranked")
    wanted = []
    for p in PERCENTILES:
        below = cast(p * (ranked.c.n - 1), Integer) + 1  # 1-based rank at or below the percentile
        wanted.append(ranked.c.rn.between(below, below + 1))
    rows = db.session.execute(
        select(ranked.c.key, ranked.c.step, ranked.c.n, ranked.c.rn, ranked.c.d).where(or_(*wanted))
    ).all()
    values: dict = defaultdict(dict)
    sizes: dict = {}
    for row in rows:
        values[(row.key, row.step)][row.rn] = row.d
        sizes[(row.key, row.step)] = row.n
    return {
        (plain_value(key), step): tuple(_interpolate(values[(key, step)], sizes[(key, step)], p) for p in PERCENTILES)
        for key, step in values
    }


def _interpolate(ranked: dict[int, float], n: int, p: float) -> float:
    """percentile_cont from the values at 1-based ranks floor(p*(n-1))+1 and the next one."""
    position = p * (n - 1)
    below = int(position)
    low = ranked[below + 1]
    high = ranked.get(below + 2, low)
    return low + (position - below) * (high - low)


# --- weekly trend ---------------------------------------------------------------------------


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def weekly_trend(user: User, f: MetricsFilter, *, now: datetime | None = None) -> list[WeekPoint]:
    """For each week of the period: how many referrals were sent, went overdue (their first breach)
    and were completed that week, among those received in the user's scope and matching the
    filters. Every week is listed, zeros included; weeks after `now` are not."""
    _check(user)
    now = now or utcnow()
    last = min(f.end, now)
    counts: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for table, first, end in _segments(f, last.date() + timedelta(days=1)):
        period = period_column(table)
        query = _segment_query(table, first, end, user, f, period, func.sum(table.c.sent),
                               func.sum(table.c.overdue), func.sum(table.c.completed)).group_by(period)
        for day, sent, overdue, completed in db.session.execute(query):
            week = counts[week_start(_as_date(day))]
            week["sent"] += int(sent or 0)
            week["overdue"] += int(overdue or 0)
            week["completed"] += int(completed or 0)
    points = []
    week = week_start(f.start.date())
    while datetime.combine(week, time.min, UTC) < last:
        points.append(WeekPoint(week=week, **counts.get(week, {})))
        week += timedelta(days=7)
    return points


# --- drill-down lists -----------------------------------------------------------------------

_LINE_COLUMNS = (Referral.id, Referral.reference, Referral.to_agency_id, Referral.need, Referral.urgency,
                 Referral.status, Referral.sent_at, Referral.next_due_at, Referral.decided_at)


def _lines(query: Select, page: int, page_size: int) -> tuple[list[ReferralLine], bool]:
    found = page_of(query, page, page_size, rows=True)
    return [ReferralLine(*row) for row in found.items], found.has_next


def overdue_referrals(user: User, f: MetricsFilter, *, now: datetime | None = None, page: int = 1,
                      page_size: int = 25) -> tuple[list[ReferralLine], bool]:
    """Open referrals past their next due time, longest overdue first (one page, and whether
    another follows)."""
    _check(user)
    now = now or utcnow()
    query = (
        _from(select(*_LINE_COLUMNS))
        .where(*_conditions(user, f), Referral.is_open, Referral.next_due_at < now)
        .order_by(Referral.next_due_at, Referral.id)
    )
    return _lines(query, page, page_size)


def declined_referrals(user: User, f: MetricsFilter, *, page: int = 1,
                       page_size: int = 25) -> tuple[list[ReferralLine], bool]:
    """Declined referrals nobody has sent elsewhere yet: candidates for reassignment."""
    _check(user)
    query = (
        _from(select(*_LINE_COLUMNS))
        .where(*_conditions(user, f), Referral.status == ReferralStatus.DECLINED,
               Referral.superseded_by_id.is_(None))
        .order_by(Referral.decided_at.desc(), Referral.id)
    )
    return _lines(query, page, page_size)


# --- names ----------------------------------------------------------------------------------


def group_names(by: str, keys, lang: str) -> dict:
    """Display names of group keys in `lang` (agencies and regions from the directory; service
    categories and urgencies are vocabulary values, labelled by the caller)."""
    keys = [k for k in keys if k is not None]
    if by == "agency":
        rows = db.session.execute(select(Agency).where(Agency.id.in_(keys))).scalars() if keys else []
        return {a.id: a.name(lang) for a in rows}
    if by == "region":
        rows = db.session.execute(select(Region).where(Region.id.in_(keys))).scalars() if keys else []
        return {r.id: r.name(lang) for r in rows}
    return {}


def restricted(f: MetricsFilter, by: str, key) -> MetricsFilter:
    """The filter narrowed to one group (for a drill-down link from a table row)."""
    field_name = {"agency": "agency_id", "service": "category", "region": "region_id", "urgency": "urgency"}[by]
    return replace(f, **{field_name: key})


# --- what the pages and the API call -----------------------------------------------------


def published(stats: GroupStats) -> dict:
    """A row as it may leave the server (API, exports): suppressed figures are None and flagged."""
    hidden = stats.suppressed
    durations = {}
    for step, d in stats.durations.items():
        shown = not hidden and not d.suppressed
        durations[step] = {"count": None if hidden else d.count, "median_minutes": d.median if shown else None,
                           "p90_minutes": d.p90 if shown else None, "suppressed": not shown,
                           "estimated": d.estimated}
    return {
        "key": stats.key, "suppressed": hidden, "sent": None if hidden else stats.sent,
        "open": None if hidden else stats.open, "overdue": None if hidden else stats.overdue,
        "breached": None if hidden else stats.breached,
        "breach_rate": None if hidden else stats.breach_rate, "durations": durations,
    }


def published_week(point: WeekPoint) -> dict:
    """A week of the trend as it may leave the server: counts of 1 to 4 are None, and named."""
    counts = {"sent": point.sent, "overdue": point.overdue, "completed": point.completed}
    return {"week": point.week.isoformat(),
            **{name: None if is_suppressed_count(value) else value for name, value in counts.items()},
            "suppressed": sorted(name for name, value in counts.items() if is_suppressed_count(value))}


@dataclass(frozen=True)
class Overview:
    filters: MetricsFilter
    by: str
    totals: GroupStats
    groups: list[GroupStats]
    #: Display names of agency and region keys.
    names: dict
    trend: list[WeekPoint]


def overview(user: User, f: MetricsFilter, by: str = "agency", *, lang: str = "en",
             now: datetime | None = None, trend: bool = True) -> Overview:
    """Everything the dashboard shows for one grouping: totals, per-group rows, weekly trend."""
    _check(user, by)
    now = now or utcnow()
    groups, total = _aggregate(user, f, by, now)
    groups = _ordered(groups)
    return Overview(filters=f, by=by, totals=total, groups=groups,
                    names=group_names(by, [g.key for g in groups], lang),
                    trend=weekly_trend(user, f, now=now) if trend else [])


def export(user: User, f: MetricsFilter, by: str = "agency", *, lang: str = "en",
           now: datetime | None = None) -> Overview:
    """The per-group table for a CSV file; the export is audited (its filters, never any data)."""
    result = overview(user, f, by, lang=lang, now=now, trend=False)
    record("dashboard.export", details={
        "by": by, "from": f.start.isoformat(), "to": f.end.isoformat(), "region_id": f.region_id,
        "agency_id": f.agency_id, "category": plain_value(f.category), "urgency": plain_value(f.urgency),
        "groups": len(result.groups)})
    return result
