"""Daily and weekly statistics of referrals, kept up to date with every transition, for the
coordinators' dashboard: a year of a national network is some twenty-five thousand rows to add up
(whole weeks, and the days at either end of the period) instead of two million referrals to sort
(BENCHMARKS.md, "Dashboard for one year").

One row per (day, receiving agency, need, urgency) in `referral_daily_stats`, and the same per week
(starting on Monday, UTC) in `referral_weekly_stats`. Nothing in it identifies a survivor: counts, and
for each step measured from sending (acknowledge, decide, first action, complete) a histogram of how
many minutes the step took, in ``BUCKETS`` buckets of geometrically growing width
(`referral.stats.daily_stats.bucket_of`). The columns count different events on their own day:

- ``sent``, ``breached`` and the histograms: referrals *sent* that day (``breached``: of those, how
  many had at least one time limit breached, whenever that happened);
- ``completed``: referrals completed that day; ``overdue``: referrals whose first breach was that day.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Integer, Table, text

from ..extensions import db
from .vocab import ServiceCategory, Urgency, enum_column

#: Steps measured from sending, in workflow order.
STAT_STEPS = ("acknowledge", "decide", "first_action", "complete")
#: Histogram buckets per step: [0, 1) minute, then [r^(k-1), r^k) for k = 1..62, then the rest.
BUCKETS = 64
COUNT_COLUMNS = ("sent", "breached", "completed", "overdue")


def histogram_column(step: str, bucket: int) -> str:
    return f"{step}_b{bucket:02d}"


HISTOGRAM_COLUMNS = {step: tuple(histogram_column(step, b) for b in range(BUCKETS)) for step in STAT_STEPS}


def _counter(name: str) -> Column:
    return Column(name, Integer, nullable=False, server_default=text("0"))


def _stats_table(name: str, period: str) -> Table:
    return Table(
        name,
        db.metadata,
        Column(period, Date, primary_key=True),
        Column("agency_id", ForeignKey("agencies.id"), primary_key=True),
        Column("need", enum_column(ServiceCategory, "stats_need"), primary_key=True),
        Column("urgency", enum_column(Urgency, "stats_urgency"), primary_key=True),
        *[_counter(column) for column in COUNT_COLUMNS],
        *[_counter(column) for columns in HISTOGRAM_COLUMNS.values() for column in columns],
    )


def period_column(table: Table) -> Column:
    """The day or week column of a statistics table (the first of its key)."""
    return table.c.day if "day" in table.c else table.c.week


referral_daily_stats = _stats_table("referral_daily_stats", "day")
#: The same cells added up per week: ``week`` is the Monday (UTC) the week starts on.
referral_weekly_stats = _stats_table("referral_weekly_stats", "week")
