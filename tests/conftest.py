"""Test fixtures: one migrated database per run (SQLite file or a fresh PostgreSQL database),
emptied after every test, and helpers to log in as anyone.

Environment:
- MASAR_TEST_POSTGRES=postgresql://postgres@127.0.0.1:5432/postgres runs the suite on PostgreSQL
  (a database is created for the run and dropped at its end);
- MASAR_REQUIRE_POSTGRES=1 / MASAR_REQUIRE_BROWSER=1 (set by CI) turn "missing" into failures;
- MASAR_TEST_CLOCK=saturday (or an ISO instant) sets the instant every test starts at (tests/clock.py).
"""

from __future__ import annotations

import os
import uuid

import pytest
import time_machine
from argon2 import PasswordHasher
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from referral.security import passwords
from tests.clock import start_instant

# Cheap argon2 parameters: the suite creates hundreds of accounts.
passwords.configure_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))

POSTGRES_ADMIN_URL = os.environ.get("MASAR_TEST_POSTGRES")
REQUIRE_POSTGRES = os.environ.get("MASAR_REQUIRE_POSTGRES") == "1"


def pytest_collection_modifyitems(config, items):
    if POSTGRES_ADMIN_URL:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set MASAR_TEST_POSTGRES (CI runs these)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if not POSTGRES_ADMIN_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("MASAR_REQUIRE_POSTGRES=1 but MASAR_TEST_POSTGRES is not set")
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'masar-test.sqlite'}"
        return
    name = f"masar_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"cannot create a PostgreSQL test database at {POSTGRES_ADMIN_URL}: {exc}")
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def app(database_url):
    from flask_migrate import upgrade

    from referral import create_app

    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": "masar.test"})
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(autouse=True)
def clock():
    """Every test starts at the same fixed instant (tests/clock.py) and time ticks on from there;
    ``clock.shift(timedelta(...))`` moves it forward, ``clock.move_to(instant)`` anywhere."""
    with time_machine.travel(start_instant(), tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _app_context(request, app, clock):
    """Every test runs in an app context on an empty database (the schema stays)."""
    if "no_db" in request.keywords:
        yield
        return
    with app.app_context():
        yield
        from referral.extensions import db, limiter

        db.session.rollback()
        db.session.remove()
        empty_database(db)
        limiter.reset()  # rate-limit counters are per test, like the database


def empty_database(db) -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET session_replication_role = replica"))  # lets the audit guard be bypassed
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            conn.execute(text("SET session_replication_role = DEFAULT"))
        else:
            for table in tables:
                conn.execute(table.delete())
        conn.execute(text("INSERT INTO audit_chain_head (id, last_event_id, last_hash) VALUES (1, 0, :h)"),
                     {"h": "0" * 64})


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, as in production: nothing in `g` or the database
    session leaks from the test (or another client) into the request."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        from flask import has_app_context

        from referral.extensions import db

        if has_app_context():
            db.session.expire_all()  # the test's own objects are re-read after the request
        return response


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def isolated_clients(app):
    """Every app.test_client() of the test is an IsolatedClient (for tests that make many)."""
    app.test_client_class = IsolatedClient


@pytest.fixture
def other_client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


from tests.factories import *  # noqa: E402,F403  (factory fixtures)
