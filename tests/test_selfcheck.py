"""Start-up self-checks: a process on a database behind the migrations, without its protections, or
with master keys that cannot unwrap its data keys refuses to serve, says why in the log and in
readiness, and stays alive."""

from __future__ import annotations

import base64
import logging
import os

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from referral import create_app
from referral.extensions import db
from referral.selfcheck import AUDIT_TRIGGERS, schema_findings
from tests.factories import make_case

OTHER_MASTER_KEYS = "demo2026:" + base64.b64encode(os.urandom(32)).decode()


def _app_on(url: str, app, **overrides):
    return create_app("test", {"SQLALCHEMY_DATABASE_URI": url, "SERVER_NAME": "masar.test",
                               "AUDIT_CHECKPOINT_DIR": app.config["AUDIT_CHECKPOINT_DIR"], **overrides})


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def _refused(fresh, reason):
    client = fresh.test_client()
    # A handler of our own: running the migrations reconfigures logging (alembic.ini), caplog's too.
    lines, logger = _Lines(), logging.getLogger("referral.selfcheck")
    logger.addHandler(lines)
    try:
        ready = client.get("/readyz")
    finally:
        logger.removeHandler(lines)
    assert ready.status_code == 503
    assert ready.mimetype == "application/problem+json"
    assert ready.get_json()["reason"] == "self_check"
    assert reason in ready.get_json()["findings"]
    assert any(f"selfcheck.failed reason={reason}" in line for line in lines.lines)
    page = client.get("/login")
    assert page.status_code == 503 and page.headers["Retry-After"]
    assert client.get("/livez").status_code == 200  # a supervisor must not restart it in a loop
    return ready


def test_a_sound_database_passes(app, database_url, world):
    make_case(world.cw_a)
    db.session.commit()
    fresh = _app_on(database_url, app)
    try:
        assert fresh.test_client().get("/readyz").status_code == 200
    finally:
        with fresh.app_context():
            db.engine.dispose()


def test_master_keys_that_cannot_unwrap_a_data_key_refuse_to_serve(app, database_url, world):
    make_case(world.cw_a)
    db.session.commit()
    fresh = _app_on(database_url, app, MASTER_KEYS=OTHER_MASTER_KEYS)
    try:
        _refused(fresh, "keys_cannot_unwrap")
    finally:
        with fresh.app_context():
            db.engine.dispose()


@pytest.mark.slow
def test_a_schema_behind_the_migrations_head_refuses_to_serve(app, tmp_path):
    url = f"sqlite:///{tmp_path / 'behind.sqlite'}"
    fresh = _app_on(url, app)
    with fresh.app_context():
        upgrade(revision=_one_short_of_head())
        db.engine.dispose()
    _refused(fresh, "schema_not_at_head")


def _one_short_of_head() -> str:
    """The revision just before the head, whatever the head is when the test runs."""
    from alembic.script import ScriptDirectory
    from flask import current_app

    scripts = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    return scripts.get_revision(scripts.get_current_head()).down_revision


def _drop_and_find(database_urls, statement):
    """The findings with `statement` applied, in a transaction rolled back afterwards (PostgreSQL
    DDL is transactional): nothing stays broken for the next test."""
    from sqlalchemy import create_engine

    engine = create_engine(database_urls.owner)
    try:
        with engine.connect() as conn:
            transaction = conn.begin()
            conn.execute(text(statement))
            findings = schema_findings(conn)
            transaction.rollback()
    finally:
        engine.dispose()
    return {finding.reason: finding.detail for finding in findings}


@pytest.mark.postgres
def test_a_disabled_audit_trigger_refuses_to_serve(app, database_urls):
    from sqlalchemy import create_engine

    owner = create_engine(database_urls.owner)
    fresh = _app_on(database_urls.app, app)
    try:
        with owner.begin() as conn:
            conn.execute(text(f"ALTER TABLE audit_events DISABLE TRIGGER {AUDIT_TRIGGERS[0]}"))
        ready = _refused(fresh, "audit_triggers_missing")
        assert "details" not in ready.get_json()  # which trigger is for the log, not for anyone asking
    finally:
        with owner.begin() as conn:
            conn.execute(text(f"ALTER TABLE audit_events ENABLE TRIGGER {AUDIT_TRIGGERS[0]}"))
        owner.dispose()
        with fresh.app_context():
            db.engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize(("statement", "reason", "name"), [
    ("DROP TRIGGER audit_checkpoints_no_truncate ON audit_checkpoints", "audit_triggers_missing",
     "audit_checkpoints_no_truncate"),
    ("ALTER TABLE users DROP CONSTRAINT uq_users_username", "constraints_missing", "uq_users_username"),
    ("DROP INDEX ix_case_keys_master_key_id", "indexes_missing", "ix_case_keys_master_key_id"),
])
def test_missing_protections_are_named(app, database_urls, statement, reason, name):
    assert _drop_and_find(database_urls, "SELECT 1") == {}
    findings = _drop_and_find(database_urls, statement)
    assert list(findings) == [reason]
    assert name in findings[reason]
