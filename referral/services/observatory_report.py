"""The observatory's periodic report (issue 18, parts 2 to 4): files opened in a month, quarter or
year, counted by region and by each indicator of one version of the unified form, with the trend
against the previous period.

Who counts (part 3): a file whose survivor agreed to reporting (`statistics_consent` "yes"), and an
anonymous case (no identity was ever recorded, nor erased: a public report, an anonymous call),
unless someone recorded "no" for it. Files closed as duplicates count nowhere: she is counted in
the other file. The other files are counted as "excluded for lack of consent", by region.

Disclosure control (`stats.suppression`): every indicator is one national table, regions by
categories with their totals, suppressed as a whole; a governorate's report is exactly its row of
that table, so the national report and a governorate's cannot be set against each other. The
region totals (files counted per region) are the same in every single-valued table: they are
suppressed once, for all. A trend is shown only where both periods' cells are.

Everything is computed from the non-identifying columns of `cases`; nothing is decrypted. Every
reading is audited (`observatory.report` / `observatory.export`).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, and_, cast, func, or_, select, tuple_

from ..audit.log import record
from ..extensions import db
from ..models import Case, Indicator, IndicatorSet, Region, User
from ..models.base import utcnow
from ..models.case import IDENTITY_COLUMNS
from ..models.vocab import ClosureReason, StatisticsConsent, plain_value
from ..policy import Action, require
from ..stats.suppression import SUPPRESS_BELOW, Grid, line_pattern, suppress
from .observatory import SOURCES, Period, get_set

NOT_RECORDED = "_not_recorded"
#: A recorded value the version's categories do not name (a value added after the version).
OTHER = "_other"
#: Columns holding a JSON list, grouped by their text.
JSON_COLUMNS = ("violence_flags", "services_received")


@dataclass(frozen=True)
class Row:
    #: Region id; None for the files whose region was not recorded.
    region_id: int | None
    name: str
    #: One count per column; None where suppressed.
    cells: list[int | None]
    total: int | None
    #: Change since the previous period, where both periods' counts are shown.
    trend: list[int | None]
    total_trend: int | None


@dataclass(frozen=True)
class Table:
    key: str
    label: str
    #: A file may count in several columns (services received): totals count answers, not files.
    multiple: bool
    columns: list[tuple[str, str]]
    rows: list[Row]
    #: The national totals row (None in a governorate's report).
    totals: Row | None


@dataclass(frozen=True)
class Report:
    period: Period
    previous: Period
    version: int
    #: None: the whole country.
    region: Region | None
    tables: list[Table]
    #: Files counted, and files left out for lack of consent (None where suppressed).
    files: int | None
    excluded: int | None
    computed_at: datetime
    timezone: str
    locale: str = "en"
    threshold: int = SUPPRESS_BELOW


def _no_identity():
    return and_(*(getattr(Case, f"{column}_ct").is_(None) for column in IDENTITY_COLUMNS),
                Case.shredded_at.is_(None))


def _counted():
    """The files the survivor agreed to count, and anonymous cases nobody refused (NULL, not false,
    for some of the others: used only as a CASE condition, where NULL is "not counted")."""
    return or_(Case.statistics_consent == StatisticsConsent.YES,
               and_(Case.statistics_consent.is_(None), _no_identity()))


def _in_period(start: datetime, end: datetime):
    return and_(Case.opened_at >= start, Case.opened_at < end,
                or_(Case.closure_reason.is_(None), Case.closure_reason != ClosureReason.DUPLICATE))


def _column_of(source: str) -> str:
    """The column of `cases` a source reads."""
    return "violence_flags" if source.startswith("violence_flag.") else source


def _facts(source: str, value) -> list[str | None]:
    """The recorded values for `source` of a file whose column holds `value` (several for services
    received)."""
    if source == "disability":
        return [None if value is None else ("yes" if value else "no")]
    if source.startswith("violence_flag."):
        return ["yes" if source.split(".", 1)[1] in (_json_list(value)) else "no"]
    if source == "services_received":
        return list(_json_list(value)) or [None]
    return [plain_value(value)]


def _json_list(value) -> list:
    """A JSON list column as the grouped query returns it: text (grouped as text), or NULL."""
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else list(value)


def _columns(indicator: Indicator, locale: str, seen_other: bool) -> list[tuple[str, str]]:
    from flask_babel import force_locale

    from ..translation import gettext as _

    columns = [(value["code"], value.get(locale) or value["en"]) for value in indicator.values]
    with force_locale(locale):
        if seen_other:
            columns.append((OTHER, _("Other (not in this version of the form)")))
        columns.append((NOT_RECORDED, _("Not recorded")))
    return columns


@dataclass
class _Counts:
    """One period's national counts: per indicator, region x category."""

    regions: list[int | None]
    tables: dict[str, dict[tuple[int | None, str], int]]
    excluded: dict[int | None, int]
    files: dict[int | None, int]


def _count(indicator_set: IndicatorSet, current: tuple[datetime, datetime], previous: tuple[datetime, datetime]
           ) -> tuple[_Counts, _Counts]:
    """The counts of a period and of the one before it, added up by the database in one pass over
    both: one row per period, consent, region and recorded value of each column the form reads, so
    the work done here is proportional to the categories, not the files."""
    columns = list(dict.fromkeys(_column_of(i.source) for i in indicator_set.indicators))
    base, groups = _grouped(columns, previous[0], current[0], current[1])
    return (_period_counts(indicator_set, columns, base, groups, 1),
            _period_counts(indicator_set, columns, base, groups, 0))


def _period_counts(indicator_set: IndicatorSet, columns: list[str], base: list[tuple], groups: dict, period: int
                   ) -> _Counts:
    files, excluded = Counter(), Counter()
    for in_period, counted, region_id, count in base:
        if in_period == period:
            (files if counted else excluded)[region_id] += count
    tables: dict[str, Counter] = {}
    for indicator in indicator_set.indicators:
        category = {source: v["code"] for v in indicator.values for source in v.get("from", [])}
        counts = tables[indicator.key] = Counter()
        for in_period, counted, region_id, value, number in groups[_column_of(indicator.source)]:
            if in_period != period or not counted:
                continue
            for fact in _facts(indicator.source, value):
                counts[(region_id, NOT_RECORDED if fact is None else category.get(fact, OTHER))] += number
    regions = set(files) | set(excluded)
    return _Counts(sorted(regions, key=lambda r: (r is None, r or 0)), tables, dict(excluded), files)


def _grouped(columns: list[str], since: datetime, split: datetime, until: datetime
             ) -> tuple[list[tuple], dict[str, list[tuple]]]:
    """Files opened in [since, until), by (in the later period: from `split` on; counted: she agreed,
    else false or NULL; region), and the same with each column's value. On PostgreSQL one scan with
    grouping sets; elsewhere one grouped query per column. JSON lists are grouped by their text.

    The two keys are boolean expressions, not CASE ... THEN 1: PostgreSQL counts two values for a
    boolean, and so plans a hash aggregate; over a CASE it assumes as many groups as rows and sorts
    the files once per grouping set (2.5 times slower at a million files, spilling to disk)."""
    def expression(column: str):
        value = getattr(Case, column)
        return cast(value, Text) if column in JSON_COLUMNS else value

    period = (Case.opened_at >= split).label("in_period")
    counted = _counted().label("counted")
    keys = (period, counted, Case.region_id)
    condition = _in_period(since, until)
    result: dict[str, list[tuple]] = {column: [] for column in columns}
    expressions = [expression(column) for column in columns]
    if db.session.get_bind().dialect.name == "postgresql" and columns:
        marker = func.grouping(*expressions)
        sets = [tuple_(*keys)] + [tuple_(*keys, e) for e in expressions]
        query = select(*keys, marker, func.count(), *expressions).where(condition).group_by(func.grouping_sets(*sets))
        width, base = len(columns), []
        for in_period, is_counted, region_id, bits, number, *values in db.session.execute(query):
            # grouping() sets the bit of every column left out of the row's grouping set.
            position = next((i for i in range(width) if not bits & (1 << (width - 1 - i))), None)
            if position is None:
                base.append((in_period, is_counted, region_id, number))
            else:
                result[columns[position]].append((in_period, is_counted, region_id, values[position], number))
        return base, result
    base = [tuple(row) for row in db.session.execute(select(*keys, func.count()).where(condition).group_by(*keys))]
    for column, value in zip(columns, expressions, strict=True):
        query = select(*keys, value, func.count()).where(condition).group_by(*keys, value)
        result[column] = [tuple(row) for row in db.session.execute(query)]
    return base, result


def _grids(indicator_set: IndicatorSet, counts: _Counts, regions: list[int | None], locale: str
           ) -> tuple[dict[str, tuple[list[tuple[str, str]], Grid]], Grid, Grid]:
    """Every indicator's suppressed national grid, the files per region and the excluded per region."""
    hidden_totals, grand_hidden = line_pattern([counts.files.get(r, 0) for r in regions])
    frozen = hidden_totals | ({len(regions)} if grand_hidden else set())
    grids = {}
    for indicator in indicator_set.indicators:
        table = counts.tables[indicator.key]
        seen_other = any(code == OTHER for (_r, code) in table)
        columns = _columns(indicator, locale, seen_other)
        interior = [[table.get((r, code), 0) for code, _label in columns] for r in regions]
        multiple = SOURCES[indicator.source].multiple
        grids[indicator.key] = (columns, suppress(interior, row_totals_suppressed=None if multiple else frozen))
    files = suppress([[counts.files.get(r, 0)] for r in regions])
    excluded = suppress([[counts.excluded.get(r, 0)] for r in regions])
    return grids, files, excluded


def _trend(now: int | None, before: int | None) -> int | None:
    return None if now is None or before is None else now - before


def _row(grid: Grid, before: Grid, r: int, region_id, name: str) -> Row:
    last = grid.columns - 1
    cells = [grid.shown(r, c) for c in range(last)]
    return Row(region_id, name, cells, grid.shown(r, last),
               [_trend(cells[c], before.shown(r, c)) for c in range(last)],
               _trend(grid.shown(r, last), before.shown(r, last)))


def report(user: User, period: Period, *, region: Region | None = None, version: int | None = None,
           locale: str = "en", timezone: str = "Africa/Casablanca", export: str | None = None) -> Report:
    """The report of `period` for the whole country (`region` None) or one governorate. A
    regional coordinator may only ask for her own (anything else is "not found", audited)."""
    require(user, Action.OBSERVATORY_READ, region)
    if region is None and user.region_id is not None:
        region = db.session.get(Region, user.region_id)
        require(user, Action.OBSERVATORY_READ, region)
    indicator_set = get_set(version)
    if indicator_set is None:
        from .errors import InputError

        raise InputError("form_version", "unknown_value")
    current, previous = _count(indicator_set, period.bounds(timezone), period.previous().bounds(timezone))
    all_regions = db.session.execute(select(Region.id).order_by(Region.code)).scalars().all()
    regions = list(all_regions) + ([None] if None in set(current.regions) | set(previous.regions) else [])
    grids, files, excluded = _grids(indicator_set, current, regions, locale)
    before, files_before, _excluded_before = _grids(indicator_set, previous, regions, locale)
    names = _region_names(locale)
    shown_rows = range(len(regions)) if region is None else [regions.index(region.id)]
    tables = []
    for indicator in indicator_set.indicators:
        columns, grid = grids[indicator.key]
        old_columns, old_grid = before[indicator.key]
        old_grid = _aligned(old_grid, old_columns, columns)
        rows = [_row(grid, old_grid, r, regions[r], names.get(regions[r], "")) for r in shown_rows]
        totals = None if region is not None else _row(grid, old_grid, len(regions), None, "")
        tables.append(Table(indicator.key, indicator.label(locale), SOURCES[indicator.source].multiple, columns,
                            rows, totals))
    index = len(regions) if region is None else regions.index(region.id)
    result = Report(period, period.previous(), indicator_set.version, region, tables, files.shown(index, 0),
                    excluded.shown(index, 0), utcnow(), timezone, locale)
    record("observatory.export" if export else "observatory.report", object_type="region",
           object_id=region.id if region else None,
           details={"period": period.code, "region_id": region.id if region else None,
                    "version": indicator_set.version, **({"format": export} if export else {})})
    return result


def _aligned(grid: Grid, columns: list, wanted: list) -> Grid:
    """The previous period's grid with the current period's columns (the "other" column may be
    in one and not the other): a column it lacks counts as suppressed, so no trend is shown."""
    if [code for code, _l in columns] == [code for code, _l in wanted]:
        return grid
    index = {code: c for c, (code, _l) in enumerate(columns)}
    last = grid.columns - 1
    values, suppressed = [], set()
    for r in range(grid.rows):
        row = []
        for c, (code, _l) in enumerate([*wanted, ("_total", "")]):
            source = last if code == "_total" else index.get(code)
            row.append(0 if source is None else grid.values[r][source])
            if source is None or (r, source) in grid.suppressed:
                suppressed.add((r, c))
        values.append(row)
    return Grid(values, frozenset(suppressed))


def _region_names(locale: str) -> dict:
    from flask_babel import force_locale

    from ..translation import gettext as _

    names = {r.id: r.name(locale) for r in db.session.execute(select(Region)).scalars()}
    with force_locale(locale):
        names[None] = _("Region not recorded")
    return names


def coalition(user: User, region: Region) -> list:
    """The governorate's coalition: the active agencies of the region (public services and
    associations), for the people who coordinate it."""
    from ..models import Agency

    require(user, Action.OBSERVATORY_READ, region)
    return list(db.session.execute(select(Agency).where(Agency.region_id == region.id, Agency.active.is_(True))
                                   .order_by(Agency.kind, Agency.code)).scalars())
