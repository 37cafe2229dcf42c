"""The observatory's report: who counts (consent for reporting), small cells, scoping, versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from referral.extensions import db
from referral.models import AuditEvent
from referral.models.vocab import ClosureReason
from referral.policy import NotFoundError, PermissionDenied
from referral.services import observatory
from referral.services.cases import close_case, open_anonymous_case, open_case
from referral.services.errors import InputError
from referral.services.observatory import Period
from referral.services.observatory_report import NOT_RECORDED, report
from tests.clock import start_instant
from tests.factories import as_user

TZ = "Africa/Casablanca"


def last_quarter() -> Period:
    """The quarter before the test clock's fixed start instant (tests/clock.py), not today's."""
    return Period.last_complete("quarter", start_instant(), TZ)


def in_period(period: Period, days: int = 10) -> datetime:
    return period.bounds(TZ)[0] + timedelta(days=days)


def open_files(user, count, *, region, consent="yes", anonymous=False, at=None, **details):
    """`count` files opened by `user` at `at` (default: in last quarter), with these facts."""
    at = at or in_period(last_quarter())
    values = {"region_id": region.id, "violence_type": "physical_assault", **details}
    if consent is not None:
        values["statistics_consent"] = consent
    made = []
    with as_user(user):
        for _ in range(count):
            if anonymous:
                made.append(open_anonymous_case(user, values, at=at))
            else:
                made.append(open_case(user, {"full_name": "X"}, values, at=at)[0])
        db.session.commit()
    return made


def table(result, key):
    return next(t for t in result.tables if t.key == key)


def column(tab, code):
    return [c for c, _label in tab.columns].index(code)


def test_only_files_she_agreed_to_count_and_anonymous_cases_count(world):
    open_files(world.cw_a, 6, region=world.r1, consent="yes")
    open_files(world.cw_a, 7, region=world.r1, consent="no")
    open_files(world.cw_a, 2, region=world.r1, consent=None)  # not asked: not counted
    open_files(world.cw_a, 5, region=world.r1, consent=None, anonymous=True)  # from public reports
    open_files(world.cw_a, 3, region=world.r1, consent="no", anonymous=True)  # refused even so
    duplicates = open_files(world.cw_a, 4, region=world.r1, consent="yes")
    with as_user(world.cw_a):
        for case in duplicates:
            close_case(world.cw_a, case, ClosureReason.DUPLICATE, "the same woman")
        db.session.commit()

    result = report(world.coordinator, last_quarter())

    assert result.files == 11
    assert result.excluded == 12  # 7 + 2 + 3; the duplicates count nowhere
    violence = table(result, "violence_type")
    assert violence.totals.cells[column(violence, "physical_assault")] == 11


def test_an_edit_of_the_consent_takes_the_file_out(world):
    from referral.services.cases import update_case

    files = open_files(world.cw_a, 5, region=world.r1)
    assert report(world.coordinator, last_quarter()).files == 5
    with as_user(world.cw_a):
        update_case(world.cw_a, files[0], {}, {"statistics_consent": "no"}, expected_version=files[0].version)
        db.session.commit()
    again = report(world.coordinator, last_quarter())
    assert again.files is None and again.excluded is None  # 4 and 1: both too small to show


def test_an_unknown_consent_value_is_an_input_error(world):
    with as_user(world.cw_a), pytest.raises(InputError) as refused:
        open_case(world.cw_a, {"full_name": "X"}, {"violence_type": "rape", "statistics_consent": "maybe"})
    assert refused.value.field == "statistics_consent"


def test_small_cells_are_hidden_with_company_and_cannot_be_worked_out(world):
    from referral.stats.suppression import Grid
    from tests.stats.test_suppression import attack

    open_files(world.cw_a, 9, region=world.r1, violence_type="rape")
    open_files(world.cw_a, 3, region=world.r1, violence_type="physical_assault")
    open_files(world.cw_a, 8, region=world.r2, violence_type="rape")
    open_files(world.cw_a, 7, region=world.r2, violence_type="physical_assault")

    result = report(world.coordinator, last_quarter())
    violence = table(result, "violence_type")
    r1, r2 = violence.rows
    assert r1.cells[column(violence, "physical_assault")] is None
    # What the attacker sees: the published table, with totals, each hidden cell unknown.
    published = [[*row.cells, row.total] for row in violence.rows] + [[*violence.totals.cells, violence.totals.total]]
    hidden = frozenset((r, c) for r, line in enumerate(published) for c, v in enumerate(line) if v is None)
    assert len(hidden) >= 4
    assert attack(Grid([[v or 0 for v in line] for line in published], hidden)) == {}
    shown = [v for line in published for v in line if v is not None]
    assert all(v == 0 or v >= 5 for v in shown)
    # The governorate's own report is exactly its row of the national table.
    own = report(world.coordinator, last_quarter(), region=world.r1)
    assert table(own, "violence_type").rows == [r1]
    assert table(own, "violence_type").totals is None


def test_missing_answers_are_counted_as_not_recorded(world):
    open_files(world.cw_a, 6, region=world.r2)  # no age band given
    result = report(world.coordinator, last_quarter(), region=world.r2)
    ages = table(result, "age_band")
    assert ages.rows[0].cells[column(ages, NOT_RECORDED)] == 6


def test_trend_only_where_both_periods_are_shown(world):
    period = last_quarter()
    open_files(world.cw_a, 8, region=world.r2, at=in_period(period))
    open_files(world.cw_a, 6, region=world.r2, at=in_period(period.previous()))
    open_files(world.cw_a, 3, region=world.r1, at=in_period(period.previous()))

    result = report(world.coordinator, period)
    violence = table(result, "violence_type")
    physical = column(violence, "physical_assault")
    r1, r2 = violence.rows
    assert r2.trend[physical] is None  # before, r2's 6 had to hide with r1's 3
    assert r2.total_trend is None
    assert r1.trend[physical] is None


def test_a_regional_coordinator_reaches_only_her_governorate(world):
    open_files(world.cw_a, 5, region=world.r2)
    own = report(world.regional_coordinator, last_quarter())
    assert own.region.id == world.r2.id
    assert [row.region_id for row in table(own, "violence_type").rows] == [world.r2.id]
    with pytest.raises(NotFoundError):
        report(world.regional_coordinator, last_quarter(), region=world.r1)
    for user in (world.cw_a, world.officer_police, world.auditor, world.admin):
        with pytest.raises(PermissionDenied):
            report(user, last_quarter())


def test_every_reading_is_audited(world):
    with as_user(world.coordinator):
        report(world.coordinator, last_quarter(), region=world.r1, export="xlsx")
        db.session.commit()
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "observatory.export")).scalar_one()
    assert event.details == {"period": last_quarter().code, "region_id": world.r1.id, "version": 1,
                             "format": "xlsx"}
    assert event.actor_user_id == world.coordinator.id


def test_a_renamed_indicator_is_a_new_version_and_old_reports_keep_their_meaning(world):
    open_files(world.cw_a, 5, region=world.r1)
    first = report(world.coordinator, last_quarter())
    with as_user(world.coordinator):
        observatory.new_version(world.coordinator, key="setting", source=None,
                                labels={"ar": "مكان العنف", "fr": "Lieu des violences", "en": "Place of violence"})
        observatory.new_version(world.coordinator, key="risk", source="risk_level",
                                labels={"ar": "الخطورة", "fr": "Risque", "en": "Risk"})
        db.session.commit()
    latest = report(world.coordinator, last_quarter())
    old = report(world.coordinator, last_quarter(), version=1)
    assert latest.version == 3 and old.version == 1
    assert table(latest, "setting").label == "Place of violence"
    assert table(old, "setting").label == table(first, "setting").label == "Setting of the incident"
    assert "risk" in {t.key for t in latest.tables} and "risk" not in {t.key for t in old.tables}
    assert [s.version for s in observatory.all_sets(world.coordinator)] == [3, 2, 1]


@pytest.mark.parametrize(("key", "source", "field"), [
    ("Bad Key!", "risk_level", "key"), ("new_one", "salary", "source"), ("new_one", "risk_level", "label_ar"),
])
def test_a_bad_new_indicator_is_refused_and_nothing_is_written(world, key, source, field):
    observatory.latest_set()
    labels = {"ar": "" if field == "label_ar" else "س", "fr": "f", "en": "e"}
    with as_user(world.coordinator), pytest.raises(InputError) as refused:
        observatory.new_version(world.coordinator, key=key, source=source, labels=labels)
    assert refused.value.field == field
    assert [s.version for s in observatory.all_sets(world.coordinator)] == [1]


def test_only_a_national_coordinator_or_an_administrator_changes_the_form(world):
    labels = {"ar": "س", "fr": "f", "en": "e"}
    with as_user(world.regional_coordinator), pytest.raises(InputError):
        observatory.new_version(world.regional_coordinator, key="setting", source=None, labels=labels)
    with as_user(world.cw_a), pytest.raises(PermissionDenied):
        observatory.new_version(world.cw_a, key="setting", source=None, labels=labels)
    with as_user(world.admin):
        assert observatory.new_version(world.admin, key="setting", source=None, labels=labels).version == 2


def test_periods_are_local_calendar_periods():
    # In 2026, before Morocco stayed on UTC+0 (tz 2026f, from 20 September): a local quarter is not
    # a UTC one, whichever tz database the machine reads.
    assert Period.parse("2026-Q2").bounds(TZ) == (datetime(2026, 3, 31, 23, tzinfo=UTC),
                                                  datetime(2026, 6, 30, 23, tzinfo=UTC))
    assert Period.parse("2027-01").previous().code == "2026-12"
    assert Period.parse("2027").previous().code == "2026"
    # 31 December 2025 23:30 UTC was already 1 January in Casablanca: last month is December.
    assert Period.last_complete("month", datetime(2025, 12, 31, 23, 30, tzinfo=UTC), TZ).code == "2025-12"
    assert Period.last_complete("quarter", datetime(2026, 6, 17, tzinfo=UTC), TZ).code == "2026-Q1"
    for bad in ("2027-Q5", "2027-13", "27", "", "2027-1"):
        with pytest.raises(InputError):
            Period.parse(bad)


def test_flags_and_services_received_are_counted_per_file_and_per_service(world):
    """Lists are counted in the database by their recorded value: a file with both flags counts
    once under each, a file that received two services counts once in each service's column."""
    both = open_files(world.cw_a, 5, region=world.r1, violence_flags=["digital", "economic"])
    open_files(world.cw_a, 6, region=world.r1, violence_flags=["economic"])
    open_files(world.cw_a, 7, region=world.r1, violence_flags=[])
    with as_user(world.cw_a):
        for case in both:
            close_case(world.cw_a, case, ClosureReason.NEEDS_MET, services_received=["legal", "medical"])
        db.session.commit()

    result = report(world.coordinator, last_quarter())

    economic, digital = table(result, "economic_violence"), table(result, "digital_violence")
    assert economic.totals.cells[column(economic, "yes")] == 11
    assert economic.totals.cells[column(economic, "no")] == 7
    assert digital.totals.cells[column(digital, "yes")] == 5
    assert digital.totals.cells[column(digital, "no")] == 13
    services = table(result, "services_received")
    assert services.totals.cells[column(services, "legal")] == 5
    assert services.totals.cells[column(services, "medical")] == 5
    assert services.totals.cells[column(services, NOT_RECORDED)] == 13
    assert result.files == 18
