"""A database outage (unreachable, read-only, full) is answered as one: 503 with Retry-After, a
translated page or problem that says nothing was saved, and nothing written; the app is fine again
as soon as the database is."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from referral.extensions import db
from referral.faults import FULL, READ_ONLY, UNREACHABLE, database_fault
from referral.models import AuditEvent, Case, ReadinessProbe
from tests.api.conftest import assert_problem, bearer, token_for
from tests.api.test_referrals_loop import NEW_CASE
from tests.factories import csrf_token, login, make_case
from tests.faults import sqlite_error, sqlite_read_only


def _events() -> int:
    return db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def _assert_unavailable_page(response, *words: str) -> str:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Internal Server Error" not in html
    for word in words:
        assert word in html
    return html


def test_a_caseworker_reading_a_file_on_a_read_only_database_is_told_nothing_was_saved(client, world, caplog):
    case = make_case(world.cw_a)
    login(client, world.cw_a)
    before = _events()
    with caplog.at_level(logging.WARNING, logger="referral.faults"), sqlite_read_only():
        response = client.get(f"/cases/{case.id}")
    # Arabic by default: the account's language cannot be read from a database that is failing.
    html = _assert_unavailable_page(response, "الخدمة غير متاحة مؤقتًا", 'dir="rtl"')
    assert "بنعلي" not in html  # the file itself is not shown: its read could not be logged
    assert _events() == before
    assert "database.unavailable reason=read_only" in caplog.text
    # Writable again: the same page opens at once, without a restart.
    assert client.get(f"/cases/{case.id}").status_code == 200


def test_a_session_that_cannot_be_saved_is_an_outage_not_a_redirect(client, world):
    # A signed-in user's language choice is kept in her session row: saving it needs a write.
    login(client, world.cw_a)
    token = csrf_token(client, "/")
    client.post("/language", data={"lang": "fr", "csrf_token": token})
    with sqlite_read_only():
        response = client.post("/language", data={"lang": "en", "csrf_token": token, "next": "/"})
    # Told in the language just chosen, though it could not be kept.
    _assert_unavailable_page(response, "Service temporarily unavailable", 'lang="en"')
    assert "Location" not in response.headers
    assert 'lang="fr"' in client.get("/").get_data(as_text=True)  # the choice of English was not kept


def test_an_anonymous_visitor_changes_language_during_a_read_only_outage(client, world):
    # Before a login starts, the language lives in the signed cookie: no row to write, no outage.
    token = csrf_token(client)
    with sqlite_read_only():
        response = client.post("/language", data={"lang": "fr", "csrf_token": token, "next": "/login"})
        assert response.status_code == 302 and response.headers["Location"].endswith("/login")
        assert 'lang="fr"' in client.get("/login").get_data(as_text=True)


def test_an_api_client_gets_a_translated_problem_and_the_case_is_not_created(client, world):
    token = token_for(world.cw_a)
    with sqlite_error("database or disk is full", writes_only=True):
        response = client.post("/api/v1/cases", headers=bearer(token, **{"Accept-Language": "en"}),
                               json=NEW_CASE)
    body = assert_problem(response, 503, "service-unavailable")
    assert body["reason"] == "full"
    assert body["title"] == "The service is temporarily unavailable"
    assert response.headers["Retry-After"] == "30"
    assert db.session.execute(select(func.count()).select_from(Case)).scalar_one() == 0


def test_an_unreachable_database_gives_a_503_page_not_a_login_redirect(client, world):
    login(client, world.cw_a)
    with sqlite_error("unable to open database file", writes_only=False):
        page = client.get("/cases/")
        api = client.get("/api/v1/cases", headers={"Authorization": "Bearer whatever", "Accept-Language": "fr"})
        live = client.get("/livez")
        ready = client.get("/readyz")
        css = client.get("/static/css/app.css")
        css.close()
    _assert_unavailable_page(page, "الخدمة غير متاحة مؤقتًا")
    assert assert_problem(api, 503, "service-unavailable")["title"] == "Le service est temporairement indisponible"
    assert (live.status_code, live.get_json()) == (200, {"status": "alive"})
    assert assert_problem(ready, 503, "service-unavailable")["reason"] == "unreachable"
    assert css.status_code == 200
    assert client.get("/cases/").status_code == 200  # still logged in once the database is back


@pytest.mark.parametrize("fault", ["read_only", "full"])
def test_readiness_fails_while_writes_fail_though_reads_work(client, world, fault):
    outage = sqlite_read_only() if fault == "read_only" else sqlite_error("database or disk is full",
                                                                          writes_only=True)
    with outage:
        response = client.get("/readyz")
        legacy = client.get("/healthz")
        live = client.get("/livez")
    assert assert_problem(response, 503, "service-unavailable")["reason"] == fault
    assert legacy.status_code == 503
    assert live.status_code == 200


def test_readiness_proves_a_write_and_leaves_nothing_behind(client, world):
    response = client.get("/readyz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ready"})
    assert db.session.execute(select(func.count()).select_from(ReadinessProbe)).scalar_one() == 0


class _Orig(Exception):
    def __init__(self, pgcode=None, message=""):
        super().__init__(message)
        self.pgcode = pgcode


@pytest.mark.parametrize(("pgcode", "expected"), [
    ("25006", READ_ONLY), ("53100", FULL), ("53300", UNREACHABLE), ("57P01", UNREACHABLE), ("08006", UNREACHABLE),
    ("23505", None), ("40001", None),
])
def test_postgresql_error_codes_name_the_outage(pgcode, expected):
    assert database_fault(OperationalError("UPDATE t", {}, _Orig(pgcode))) == expected


def test_an_integrity_error_is_a_bug_not_an_outage():
    assert database_fault(IntegrityError("INSERT", {}, _Orig(None, "UNIQUE constraint failed"))) is None
    assert database_fault(ValueError("no")) is None
