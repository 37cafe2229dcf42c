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
from dataclasses import dataclass
from pathlib import Path

import pytest
import time_machine
from argon2 import PasswordHasher
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from referral.security import passwords
from tests.clock import start_instant
from tests.factories import ADMIN_ENGINE

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


@dataclass(frozen=True)
class DatabaseUrls:
    """Who connects how. On PostgreSQL, as in production (README): the migrations run as the
    tables' owner, the app as a role that may only add to the access log, and the test emptying
    tables (and an insider tampering with them) as the superuser. On SQLite all three are one file."""

    app: str
    owner: str
    admin: str


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory):
    if not POSTGRES_ADMIN_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("MASAR_REQUIRE_POSTGRES=1 but MASAR_TEST_POSTGRES is not set")
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'masar-test.sqlite'}"
        yield DatabaseUrls(url, url, url)
        return
    suffix = uuid.uuid4().hex[:10]
    name, owner, app_role = f"masar_test_{suffix}", f"masar_owner_{suffix}", f"masar_app_{suffix}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        with admin.connect() as conn:
            for statement in two_roles_sql(name, owner, app_role)[0]:
                conn.execute(text(statement))
            # A test database need not survive a crash: commits do not wait for the disk (a third of
            # the PostgreSQL run's time otherwise). Nothing else about the server changes.
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        in_database = create_engine(f"{base}/{name}", isolation_level="AUTOCOMMIT")
        with in_database.connect() as conn:
            for statement in two_roles_sql(name, owner, app_role)[1]:
                conn.execute(text(statement))
        in_database.dispose()
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"cannot create a PostgreSQL test database and its roles at {POSTGRES_ADMIN_URL}: {exc}")
    user_at = base.split("://", 1)[1].split("@", 1)[-1]
    yield DatabaseUrls(app=f"postgresql://{app_role}@{user_at}/{name}", owner=f"postgresql://{owner}@{user_at}/{name}",
                       admin=f"{base}/{name}")
    with admin.connect() as conn:
        # FORCE: the session's app engines may still hold connections (SQLAlchemy-Utils's
        # drop_database would wait for them to go).
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'DROP ROLE IF EXISTS "{app_role}"'))
        conn.execute(text(f'DROP ROLE IF EXISTS "{owner}"'))
    admin.dispose()


def two_roles_sql(name: str, owner: str, app_role: str) -> tuple[list[str], list[str]]:
    """The statements README gives for the two roles: (in the cluster, in the new database)."""
    return (
        [f'CREATE ROLE "{owner}" LOGIN', f'CREATE ROLE "{app_role}" LOGIN',
         f'CREATE DATABASE "{name}" OWNER "{owner}"'],
        [f'GRANT USAGE ON SCHEMA public TO "{app_role}"',
         f'GRANT CREATE ON SCHEMA public TO "{owner}"',
         f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA public '
         f'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "{app_role}"',
         f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA public '
         f'GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO "{app_role}"'],
    )


@pytest.fixture(scope="session")
def database_url(database_urls):
    """The app's own connection."""
    return database_urls.app


@pytest.fixture(scope="session")
def app(database_urls, tmp_path_factory):
    from flask_migrate import upgrade

    from referral import create_app
    from referral.extensions import db

    overrides = {"SERVER_NAME": "masar.test",
                 "AUDIT_CHECKPOINT_DIR": str(tmp_path_factory.mktemp("audit-checkpoints"))}
    owner = create_app("test", {**overrides, "SQLALCHEMY_DATABASE_URI": database_urls.owner})
    with owner.app_context():
        upgrade()
        db.engine.dispose()
    app = create_app("test", {**overrides, "SQLALCHEMY_DATABASE_URI": database_urls.app})
    # One pooled superuser engine for emptying tables (and for tests playing a database insider).
    # Pre-ping: a test that terminates the database's connections must not break the next test's TRUNCATE.
    app.extensions[ADMIN_ENGINE] = (create_engine(database_urls.admin, pool_pre_ping=True)
                                    if database_urls.admin != database_urls.app else None)
    return app


@pytest.fixture(scope="session")
def owner_app(app, database_urls):
    """The app as the migrations see it: connected as the tables' owner (on PostgreSQL)."""
    from referral import create_app

    return create_app("test", {"SQLALCHEMY_DATABASE_URI": database_urls.owner, "SERVER_NAME": "masar.test",
                               "AUDIT_CHECKPOINT_DIR": app.config["AUDIT_CHECKPOINT_DIR"]})


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
        empty_checkpoint_directory(app)
        limiter.reset()  # rate-limit counters are per test, like the database


def empty_database(db) -> None:
    from flask import current_app

    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with (current_app.extensions.get(ADMIN_ENGINE) or db.engine).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET session_replication_role = replica"))  # lets the audit guard be bypassed
            # TRUNCATE costs new files for every table (a third of the run): only the tables a test
            # wrote to are emptied, by DELETE (one query finds them), and every sequence a test drew
            # from starts again. Rows are then no longer in insertion order: order what you compare.
            # Table names come from our own metadata, sequence names from the catalogue, quoted.
            written = conn.execute(text(" UNION ALL ".join(
                f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")"  # noqa: S608
                for t in tables))).scalars().all()
            for name in written:
                conn.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608
            for sequence in conn.execute(text(
                    "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) FROM pg_sequences "
                    "WHERE last_value IS NOT NULL")).scalars():
                conn.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))
            conn.execute(text("SET session_replication_role = DEFAULT"))
        else:
            for table in tables:
                conn.execute(table.delete())
        # What the migrations seed, as a fresh install has it.
        conn.execute(text("INSERT INTO audit_chain_head (id, last_position, last_hash) VALUES (1, 0, :h)"),
                     {"h": "0" * 64})
        from referral.models import EmergencyEligibility
        from referral.services.emergency_rules import DEFAULTS

        conn.execute(EmergencyEligibility.__table__.insert(),
                     [{"service_category": c.value, "role": r.value} for c, r in sorted(DEFAULTS)])
        from referral.models import EssentialService

        conn.execute(EssentialService.__table__.insert(), _migration("a19_shelter_stays").essential_rows())


def _migration(revision: str):
    """A migration module, for the rows it seeds (migrations import nothing from the app, so the
    seed lives there alone)."""
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "migrations" / "versions" / f"{revision}.py"
    spec = importlib.util.spec_from_file_location(f"migration_{revision}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def empty_checkpoint_directory(app) -> None:
    folder = Path(app.config["AUDIT_CHECKPOINT_DIR"])
    for path in folder.glob("*"):
        path.unlink()


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
