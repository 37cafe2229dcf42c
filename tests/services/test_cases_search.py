"""Finding a file without decrypting the table, and spotting the same survivor in two associations."""

from __future__ import annotations

import pytest

from referral.extensions import db
from referral.models import AuditEvent
from referral.services import cases
from referral.services.errors import InputError
from tests.factories import as_user, make_case


@pytest.mark.parametrize(("column", "typed"), [
    ("phone", "+212 6 12 34 56 78"), ("phone", "00212612345678"), ("phone", "06-12-34-56-78"),
    ("phone", "٠٦١٢٣٤٥٦٧٨"), ("national_id", "bk-123456"), ("full_name", "بنعلي فاطمه الزهراء"),
    ("full_name", "فاطِمة الزَّهراء بنعلي"),
])
def test_search_by_exact_value_in_any_usual_form(world, column, typed):
    case = make_case(world.cw_a)
    make_case(world.cw_a, full_name="Khadija Tazi", phone="0698765432", national_id="AA111111")
    with as_user(world.cw_a):
        found = cases.search(world.cw_a, column, typed)
    assert [c.id for c in found] == [case.id]


def test_search_never_returns_another_associations_file(world):
    make_case(world.cw_b)
    with as_user(world.cw_a):
        assert cases.search(world.cw_a, "phone", "0612345678") == []


def test_search_is_logged_without_the_value(world):
    make_case(world.cw_a)
    with as_user(world.cw_a):
        cases.search(world.cw_a, "phone", "0612345678")
        db.session.commit()
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "case.search")).scalar_one()
    assert "612345678" not in str(event.details) and event.fields == ["phone"]


def test_invalid_phone_is_an_input_error(world):
    with pytest.raises(InputError) as caught, as_user(world.cw_a):
        cases.search(world.cw_a, "phone", "not a phone")
    assert caught.value.field == "value"


def test_duplicate_in_another_association_is_found_on_one_column(world):
    # The hint is internal: it tells the other association which of its files (services/duplicates).
    first = make_case(world.cw_b, full_name="Fatima Zahra Benali", phone="+212612345678")
    second = make_case(world.cw_a, full_name="Salma Tazi", phone="0612345678", national_id="ZZ000001")
    assert [(h.agency_id, h.case_id) for h in second._duplicates] == [(world.assoc_b.id, first.id)]


def test_no_duplicate_for_a_different_survivor(world):
    make_case(world.cw_b)
    other = make_case(world.cw_a, full_name="Nadia Amrani", phone="0677777777", national_id="QQ999999")
    assert other._duplicates == []
