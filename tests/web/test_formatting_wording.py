"""Arabic and French that read as written by a person (issue 21, part 4): plural and dual forms in the
whole phrase, one day-first date style, the Arabic comma, bidi isolation of "<5", dir="auto" on typed
text, and one name per page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from referral.extensions import db
from referral.models.base import utcnow
from referral.models.vocab import ServiceCategory
from referral.services.notes import add_note
from referral.web.formatting import day, time_left, when
from referral.web.nav import MENU
from tests.factories import as_user, consent_and_refer, csrf_token, login, make_case

#: (offset, Arabic, French): the dual and the plural classes of Babel's Arabic rule (3-10, 11-99, 100+).
DURATIONS = [
    (timedelta(days=2, minutes=1), "خلال يومين", "dans 2 jours"),
    (timedelta(days=1, hours=1), "خلال 25 ساعة", "dans 25 heures"),
    (timedelta(days=3, minutes=1), "خلال 3 أيام", "dans 3 jours"),
    (timedelta(days=11, minutes=1), "خلال 11 يومًا", "dans 11 jours"),
    (timedelta(days=100, minutes=1), "خلال 100 يوم", "dans 100 jours"),
    (timedelta(hours=2, minutes=1), "خلال ساعتين", "dans 2 heures"),
    (timedelta(minutes=1, seconds=5), "خلال دقيقة واحدة", "dans 1 minute"),
    (-timedelta(days=2, minutes=1), "تجاوز الأجل منذ يومين", "délai dépassé de 2 jours"),
    (-timedelta(hours=5), "تجاوز الأجل منذ 5 ساعات", "délai dépassé de 5 heures"),
]


@pytest.fixture
def request_context(app):
    with app.test_request_context():
        yield


@pytest.mark.parametrize(("offset", "arabic", "french"), DURATIONS)
def test_time_left_uses_the_plural_form_of_each_language(request_context, offset, arabic, french):
    due = utcnow() + offset
    with force_locale("ar"):
        assert time_left(due) == arabic
    with force_locale("fr"):
        assert time_left(due) == french


def test_the_machine_forms_are_gone(request_context):
    with force_locale("ar"):
        phrases = [time_left(utcnow() + timedelta(days=2, minutes=1)),
                   time_left(utcnow() - timedelta(days=2, minutes=1))]
    assert not any("يومان" in p for p in phrases), phrases


@pytest.mark.parametrize(("language", "expected"), [("ar", "12 مارس 2026"), ("fr", "12 mars 2026"),
                                                    ("en", "12 Mar 2026")])
def test_one_day_first_date_style_per_language(request_context, language, expected):
    instant = datetime(2026, 3, 12, 10, 5, tzinfo=UTC)
    with force_locale(language):
        styles = {when(instant, fmt)[: len(expected)] for fmt in ("short", "medium", "date")}
        assert styles == {expected}
        assert day(instant.date()) == expected


def test_fewer_than_five_is_isolated_from_the_arabic_around_it(app, request_context):
    template = app.jinja_env.from_string('{% from "dashboard/_macros.html" import count %}{{ count(row, 3, 5) }}')
    html = template.render(row=SimpleNamespace(suppressed=False))
    assert re.search(r'<span class="suppressed" dir="ltr"[^>]*>&lt;5</span>', html), html


def test_the_dashboard_and_the_time_limit_settings_have_distinct_names(request_context):
    for language in ("ar", "fr", "en"):
        with force_locale(language):
            labels = [str(label) for _endpoint, label, _perm in MENU]
        assert len(set(labels)) == len(labels), (language, labels)


def test_coordinator_pages_are_named_apart_in_arabic(client, world):
    login(client, world.coordinator)
    titles = {path: re.search(r"<h1>(.*?)</h1>", client.get(path).get_data(as_text=True), re.S).group(1).strip()
              for path in ("/dashboard", "/sla-policies/")}
    assert titles == {"/dashboard": "مدد الاستجابة", "/sla-policies/": "إعدادات آجال الاستجابة"}


def test_lists_use_the_arabic_comma_and_typed_text_its_own_direction(client, world):
    case = make_case(world.cw_a)
    consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION),
                      fields=("name", "contact"))
    with as_user(world.cw_a):
        add_note(world.cw_a, case, "Elle a appelé — اتصلت صباحا")
        db.session.commit()
    login(client, world.cw_a)
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert re.search(r'recipient-access">[^<,]+، [^<,]+</td>', html), "the shared fields, with the Arabic comma"
    assert '<p dir="auto">Elle a appelé — اتصلت صباحا</p>' in html
    assert re.search(r'<dd dir="auto">فاطمة الزهراء بنعلي</dd>', html)
    client.post("/language", data={"lang": "fr", "csrf_token": csrf_token(client, "/")})
    french = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert re.search(r'recipient-access">[^<،]+, [^<،]+</td>', french)
    form = client.get("/cases/new").get_data(as_text=True)
    narrative = re.search(r'<textarea[^>]*name="narrative"[^>]*>', form).group(0)
    assert 'dir="auto"' in narrative


def test_date_filters_are_typed_day_first_and_say_so(client, world):
    login(client, world.coordinator)
    start, end = utcnow().date() - timedelta(days=40), utcnow().date() - timedelta(days=3)
    day_first = client.get(f"/dashboard?date_from={start:%d/%m/%Y}&date_to={end:%d/%m/%Y}")
    iso = client.get(f"/dashboard?date_from={start.isoformat()}&date_to={end.isoformat()}")
    assert day_first.status_code == iso.status_code == 200
    page = day_first.get_data(as_text=True)
    field = re.search(r'<input[^>]*id="date_from"[^>]*>', iso.get_data(as_text=True)).group(0)
    assert f'value="{start:%d/%m/%Y}"' in field and 'type="text"' in field and 'dir="ltr"' in field
    assert "اليوم/الشهر/السنة" in page  # the expected order, stated under the field
    with force_locale("ar"):
        assert day(start) in page  # the period, in words
    # Month first is refused with an explanation, not read as another day.
    wrong = client.get("/dashboard?date_from=12/31/2026")
    assert wrong.status_code == 400
    assert "اكتب التاريخ بدءًا باليوم، مثلًا 31/12/2026." in wrong.get_data(as_text=True)
