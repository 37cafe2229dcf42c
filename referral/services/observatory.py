"""The observatory's unified form as data (issue 18, part 1): versioned indicator sets, and the
reporting periods (month, quarter, year in the network's time zone).

An indicator reads one fact of a file (`SOURCES`: a column in clear, never identity) and reports
it in categories; a category may group several recorded values (a country that counts "partner or
former partner" as one). The default set is the GBVIMS core types and the seeds' extra dimensions.
A version is never changed: adding or renaming an indicator writes the next version, so a report
made against an older version keeps its meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from sqlalchemy import func, select

from ..audit.log import record
from ..extensions import db
from ..labels import label
from ..models import Indicator, IndicatorSet, User
from ..models.vocab import (
    AgeBand,
    ClosureReason,
    IncidentPlace,
    IntakeChannel,
    PerpetratorRelationship,
    RiskLevel,
    ServiceCategory,
    ViolenceType,
)
from ..policy import Action, can, require
from ..translation import lazy_gettext as _l
from .errors import InputError

LOCALES = ("ar", "fr", "en")
YES_NO = ("yes", "no")


@dataclass(frozen=True)
class Source:
    """A fact of a file an indicator may read: the values it takes, how to label them, and
    whether a file may have several (services received)."""

    values: tuple[str, ...]
    label_prefix: str = ""
    multiple: bool = False


#: Every fact an indicator may read. Adding one is a code change; using it in the form is not.
SOURCES: dict[str, Source] = {
    "violence_type": Source(tuple(v.value for v in ViolenceType)),
    "age_band": Source(tuple(v.value for v in AgeBand)),
    "perpetrator_relationship": Source(tuple(v.value for v in PerpetratorRelationship)),
    "incident_place": Source(tuple(v.value for v in IncidentPlace)),
    "disability": Source(YES_NO, "answer_"),
    "violence_flag.economic": Source(YES_NO, "answer_"),
    "violence_flag.digital": Source(YES_NO, "answer_"),
    "services_received": Source(tuple(v.value for v in ServiceCategory), multiple=True),
    "closure_reason": Source(tuple(v.value for v in ClosureReason)),
    "channel": Source(tuple(v.value for v in IntakeChannel)),
    "risk_level": Source(tuple(v.value for v in RiskLevel), "risk_"),
}

#: The first version: (key, source, label).
DEFAULT_INDICATORS = (
    ("violence_type", "violence_type", _l("Type of violence (GBVIMS)")),
    ("age_band", "age_band", _l("Age group")),
    ("perpetrator_relationship", "perpetrator_relationship", _l("Relationship to the perpetrator")),
    ("setting", "incident_place", _l("Setting of the incident")),
    ("disability", "disability", _l("Disability")),
    ("economic_violence", "violence_flag.economic", _l("Economic violence")),
    ("digital_violence", "violence_flag.digital", _l("Digital violence")),
    ("services_received", "services_received", _l("Services received")),
    ("outcome", "closure_reason", _l("Outcome at closure")),
)
ANSWERS = {"answer_yes": _l("Yes"), "answer_no": _l("No")}
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


def _value_label(source: Source, value: str) -> str:
    key = f"{source.label_prefix}{value}"
    return str(ANSWERS[key]) if key in ANSWERS else label(value, source.label_prefix)


def _in_every_locale(render) -> dict[str, str]:
    labels = {}
    for locale in LOCALES:
        with force_locale(locale):
            labels[locale] = str(render())
    return labels


def default_values(source_name: str) -> list[dict]:
    """One category per recorded value, labelled in the three languages."""
    source = SOURCES[source_name]
    return [{"code": value, "from": [value], **_in_every_locale(lambda v=value: _value_label(source, v))}
            for value in source.values]


def _indicator(position: int, key: str, source: str, labels: dict[str, str], values: list[dict]) -> Indicator:
    return Indicator(position=position, key=key, source=source, label_ar=labels["ar"], label_fr=labels["fr"],
                     label_en=labels["en"], values=values)


# --- versions -----------------------------------------------------------------------------------


def latest_set() -> IndicatorSet:
    """The newest version; the default one is written on first use (a fresh install has none)."""
    found = db.session.execute(select(IndicatorSet).order_by(IndicatorSet.version.desc()).limit(1)).scalar()
    if found is not None:
        return found
    first = IndicatorSet(version=1, note="GBVIMS core types and Masar's observatory fields")
    first.indicators = [_indicator(i, key, source, _in_every_locale(lambda t=title: t), default_values(source))
                        for i, (key, source, title) in enumerate(DEFAULT_INDICATORS)]
    db.session.add(first)
    db.session.flush()
    return first


def get_set(version: int | None) -> IndicatorSet | None:
    if version is None:
        return latest_set()
    return db.session.execute(select(IndicatorSet).where(IndicatorSet.version == version)).scalar()


def all_sets(user: User) -> list[IndicatorSet]:
    """Every version, newest first: for the coordinators who read reports and whoever changes the form."""
    if not can(user, Action.OBSERVATORY_READ):
        require(user, Action.OBSERVATORY_MANAGE)
    latest_set()
    return list(db.session.execute(select(IndicatorSet).order_by(IndicatorSet.version.desc())).scalars())


def new_version(user: User, *, key: str, source: str | None, labels: dict[str, str], note: str | None = None
                ) -> IndicatorSet:
    """The next version: the indicator `key` renamed to `labels` if the newest version has it,
    added (reading `source`) if not. Everything is checked before anything is written."""
    require(user, Action.OBSERVATORY_MANAGE)
    if user.region_id is not None:
        raise InputError("key", "national_only")
    key = (key or "").strip()
    if not KEY_PATTERN.match(key):
        raise InputError("key", "invalid_key")
    labels = {locale: (labels.get(locale) or "").strip() for locale in LOCALES}
    for locale, text in labels.items():
        if not text or len(text) > 200:
            raise InputError(f"label_{locale}", "required")
    current = latest_set()
    existing = {indicator.key: indicator for indicator in current.indicators}
    if key not in existing and source not in SOURCES:
        raise InputError("source", "unknown_value")
    version = db.session.execute(select(func.max(IndicatorSet.version))).scalar() + 1
    next_set = IndicatorSet(version=version, created_by_id=user.id, note=(note or "").strip()[:300] or None)
    indicators = [_indicator(i.position, i.key, i.source, labels if i.key == key else
                             {locale: i.label(locale) for locale in LOCALES}, [dict(v) for v in i.values])
                  for i in current.indicators]
    if key not in existing:
        indicators.append(_indicator(len(indicators), key, source, labels, default_values(source)))
    next_set.indicators = indicators
    db.session.add(next_set)
    db.session.flush()
    record("observatory.indicators_version", object_type="indicator_set", object_id=next_set.id,
           details={"version": version, "key": key, "change": "rename" if key in existing else "add"})
    return next_set


# --- periods -----------------------------------------------------------------------------------

PERIOD_KINDS = ("month", "quarter", "year")
PERIOD_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4])))?$")


@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year, in the network's time zone."""

    kind: str
    year: int
    #: First month (1-12) of the period.
    month: int = 1

    @property
    def months(self) -> int:
        return {"month": 1, "quarter": 3, "year": 12}[self.kind]

    @property
    def code(self) -> str:
        if self.kind == "year":
            return f"{self.year}"
        if self.kind == "quarter":
            return f"{self.year}-Q{(self.month - 1) // 3 + 1}"
        return f"{self.year}-{self.month:02d}"

    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def following(self) -> date:
        """The first day after the period."""
        index = self.year * 12 + self.month - 1 + self.months
        return date(index // 12, index % 12 + 1, 1)

    def previous(self) -> Period:
        index = self.year * 12 + self.month - 1 - self.months
        return Period(self.kind, index // 12, index % 12 + 1)

    def bounds(self, timezone: str) -> tuple[datetime, datetime]:
        """[start, end) in UTC: local midnights of the first day and of the day after."""
        zone = ZoneInfo(timezone)
        return tuple(datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
                     for day in (self.first_day(), self.following()))

    @classmethod
    def parse(cls, code: str) -> Period:
        """"2027" (year), "2027-Q2" (quarter) or "2027-05" (month); anything else is an input error."""
        match = PERIOD_PATTERN.match((code or "").strip())
        if not match or not 2000 <= int(match["year"]) <= 2999:
            raise InputError("period", "invalid_period")
        year = int(match["year"])
        if match["quarter"]:
            return cls("quarter", year, (int(match["quarter"]) - 1) * 3 + 1)
        if match["month"]:
            if not 1 <= int(match["month"]) <= 12:
                raise InputError("period", "invalid_period")
            return cls("month", year, int(match["month"]))
        return cls("year", year)

    @classmethod
    def last_complete(cls, kind: str, now: datetime, timezone: str) -> Period:
        """The last whole period before `now` (local date): last month, last quarter, last year."""
        today = now.astimezone(ZoneInfo(timezone)).date()
        months = {"month": 1, "quarter": 3, "year": 12}[kind]
        current_first = (today.month - 1) // months * months + 1
        return cls(kind, today.year, current_first).previous()
