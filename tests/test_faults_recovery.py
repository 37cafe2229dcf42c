"""Recovery without a restart, on PostgreSQL: a database made read-only and writable again, and the
app's connections terminated. Each test leaves the database writable, even when it fails."""

from __future__ import annotations

import contextlib
import os

import pytest
from sqlalchemy import create_engine, func, select, text

from referral.extensions import db
from referral.models import Case
from tests.api.conftest import assert_problem, bearer, token_for
from tests.api.test_referrals_loop import NEW_CASE

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@contextlib.contextmanager
def admin_connection():
    engine = create_engine(os.environ["MASAR_TEST_POSTGRES"], isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def _name() -> str:
    return db.engine.url.database


def _cases() -> int:
    db.session.rollback()
    count = db.session.execute(select(func.count()).select_from(Case)).scalar_one()
    db.session.commit()  # the connection goes back to the pool, for the app's next request to take
    return count


@pytest.fixture
def admin():
    """A superuser connection; at the end the test database is writable and the pool fresh, whatever
    the test did or how it failed."""
    with admin_connection() as conn:
        try:
            yield conn
        finally:
            conn.execute(text(f'ALTER DATABASE "{_name()}" RESET default_transaction_read_only'))
            db.session.remove()
            db.engine.dispose()


def test_read_only_then_writable_again_is_served_at_once(client, world, admin):
    token = token_for(world.cw_a)
    db.session.commit()
    admin.execute(text(f'ALTER DATABASE "{_name()}" SET default_transaction_read_only = on'))
    db.session.remove()
    db.engine.dispose()  # the connections the app opens from now on are read-only
    ready = client.get("/readyz")
    created = client.post("/api/v1/cases", headers=bearer(token), json=NEW_CASE)
    again = client.get("/readyz")
    admin.execute(text(f'ALTER DATABASE "{_name()}" RESET default_transaction_read_only'))
    assert assert_problem(ready, 503, "service-unavailable")["reason"] == "read_only"
    assert assert_problem(created, 503, "service-unavailable")["reason"] == "read_only"
    assert again.status_code == 503
    assert _cases() == 0
    # Writable again: the very next requests succeed, no restart, no wait for a recycle.
    assert client.get("/readyz").status_code == 200
    created = client.post("/api/v1/cases", headers=bearer(token),
                          json=NEW_CASE)
    assert created.status_code == 201, created.get_data(as_text=True)[:300]
    assert _cases() == 1


def test_terminated_connections_are_replaced_without_an_error(client, world, admin):
    token = token_for(world.cw_a)
    assert client.get("/api/v1/cases", headers=bearer(token)).status_code == 200
    db.session.commit()
    killed = admin.execute(text(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": _name()}).scalar_one()
    assert killed >= 1
    assert client.get("/readyz").status_code == 200
    response = client.get("/api/v1/cases", headers=bearer(token))
    assert response.status_code == 200


def test_a_connection_terminated_inside_a_request_is_a_503_and_the_next_one_works(client, world):
    token = token_for(world.cw_a)
    db.session.commit()
    # A statement cut by pg_terminate_backend mid-request, as a restart would: its own backend.
    from sqlalchemy import event

    def terminate_self(_conn, cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT INTO CASES"):
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    event.listen(db.engine, "before_cursor_execute", terminate_self)
    try:
        response = client.post("/api/v1/cases", headers=bearer(token),
                               json=NEW_CASE)
    finally:
        event.remove(db.engine, "before_cursor_execute", terminate_self)
    assert assert_problem(response, 503, "service-unavailable")["reason"] == "unreachable"
    assert _cases() == 0
    assert client.get("/readyz").status_code == 200
    created = client.post("/api/v1/cases", headers=bearer(token),
                          json=NEW_CASE)
    assert created.status_code == 201
