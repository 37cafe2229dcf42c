"""Start-up self-checks: is the database the one this code was written for, with its protections,
and can the configured keys read it?

A half-finished restore, a database left behind the migrations or the wrong master key used to be
served as if nothing were wrong: `/healthz` said 200, `audit verify` "intact", and every file
answered 500. Now each process checks once, before it serves its first request (and `wsgi.py` at
start, so the log says it at boot): the schema is at the migrations' head, every table, index and
named constraint of the models exists, the access log's append-only triggers are there and enabled
(PostgreSQL), and one sampled data key unwraps with the configured master keys. Any finding logs
``selfcheck.failed`` and the process refuses to serve (503, `/readyz` names the finding) until it is
restarted on a sound database; `/livez` stays up, so a supervisor does not restart it in a loop.

A database that cannot be reached is not a finding: the check runs again on the next request.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app, request
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from .extensions import db
from .faults import database_fault, outage_response, wants_problem

log = logging.getLogger(__name__)

RESULT_KEY = "masar.selfcheck"
#: What the checks need neither to pass nor to run: the process answers, the stylesheet loads.
UNCHECKED_ENDPOINTS = frozenset({"health.live", "static"})
#: The access log's guards on PostgreSQL (migrations 15bc3477c829 and b14b_audit_tables_guarded).
AUDIT_TRIGGERS = (
    "audit_events_append_only", "audit_events_no_truncate",
    "audit_checkpoints_append_only", "audit_checkpoints_no_truncate",
    "audit_chain_head_forward_only", "audit_chain_head_no_truncate",
)
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

_lock = threading.Lock()


@dataclass(frozen=True)
class Finding:
    #: Short name, safe to show to anyone (readiness); the detail is for the log.
    reason: str
    detail: str


def migration_heads() -> set[str]:
    return set(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def schema_findings(conn) -> list[Finding]:
    current = set(MigrationContext.configure(conn).get_current_heads())
    heads = migration_heads()
    if current != heads:
        return [Finding("schema_not_at_head", f"database at {sorted(current) or 'no revision'}, "
                                              f"migrations at {sorted(heads)}: run `flask db upgrade`")]
    expected_tables, expected_indexes, expected_constraints = _expected_structure(conn)
    found_tables, found_indexes, found_constraints = _found_structure(conn)
    findings = []
    for reason, expected, found in (("tables_missing", expected_tables, found_tables),
                                    ("indexes_missing", expected_indexes, found_indexes),
                                    ("constraints_missing", expected_constraints, found_constraints)):
        missing = sorted(expected - found)
        if missing:
            findings.append(Finding(reason, f"{len(missing)} of {len(expected)} missing: {', '.join(missing[:10])}"))
    if conn.dialect.name == "postgresql":
        enabled = set(conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'"))
                      .scalars())
        missing = sorted(set(AUDIT_TRIGGERS) - enabled)
        if missing:
            findings.append(Finding("audit_triggers_missing", f"missing or disabled: {', '.join(missing)}"))
    return findings


def _expected_structure(conn) -> tuple[set[str], set[str], set[str]]:
    """Names of the models' tables, indexes and (on PostgreSQL) constraints, as the naming
    convention gives them (tests/migrations/test_migrations.py keeps the migrations in agreement)."""
    preparer = conn.dialect.identifier_preparer
    tables = db.metadata.sorted_tables
    indexes = {preparer.format_constraint(index).strip('"') for table in tables for index in table.indexes}
    constraints = set()
    if conn.dialect.name == "postgresql":  # SQLite keeps constraints inside each table's definition
        constraints = {preparer.format_constraint(c).strip('"') for table in tables for c in table.constraints}
    return {table.name for table in tables}, indexes, constraints


def _found_structure(conn) -> tuple[set[str], set[str], set[str]]:
    if conn.dialect.name == "postgresql":
        tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars()
        indexes = conn.execute(text("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")).scalars()
        constraints = conn.execute(text("SELECT c.conname FROM pg_constraint c JOIN pg_namespace n "
                                        "ON n.oid = c.connamespace WHERE n.nspname = current_schema()")).scalars()
        return set(tables), set(indexes), set(constraints)
    rows = conn.execute(text("SELECT type, name FROM sqlite_master WHERE type IN ('table', 'index')")).all()
    return ({name for kind, name in rows if kind == "table"}, {name for kind, name in rows if kind == "index"}, set())


def key_findings(conn) -> list[Finding]:
    """One sampled data key must unwrap: a wrong or missing master key shows here, not as a 500 on
    every file."""
    from .models import CaseKey
    from .security.case_crypto import wrap_aad
    from .security.crypto import CryptoError, WrappedKey
    from .security.keys import app_keys

    row = conn.execute(select(CaseKey.case_id, CaseKey.master_key_id, CaseKey.wrapped_key).limit(1)).first()
    if row is None:
        return []
    ring = app_keys().master
    try:
        ring.unwrap(WrappedKey(row.master_key_id, row.wrapped_key), wrap_aad(row.case_id))
    except CryptoError as exc:
        return [Finding("keys_cannot_unwrap",
                        f"a data key wrapped by master key {row.master_key_id!r} does not unwrap with the configured "
                        f"keys ({', '.join(ring.key_ids)}): {type(exc).__name__}; check MASAR_MASTER_KEYS")]
    return []


def run_checks() -> list[Finding]:
    """Every finding about the database this app is configured for (in an app context); raises
    DBAPIError when the database cannot be read."""
    with db.engine.connect() as conn:
        findings = schema_findings(conn)
        if not any(f.reason in ("schema_not_at_head", "tables_missing") for f in findings):
            findings += key_findings(conn)
    return findings


def checked_findings(app: Flask) -> list[Finding] | None:
    """This process's findings, checked once; None while the database cannot be reached."""
    result = app.extensions.get(RESULT_KEY)
    if result is not None:
        return result
    with _lock:
        result = app.extensions.get(RESULT_KEY)
        if result is not None:
            return result
        try:
            with app.app_context():
                result = run_checks()
        except DBAPIError as exc:
            if database_fault(exc) is None:
                raise
            log.warning("selfcheck.deferred database unreachable, checking again on the next request")
            return None
        for finding in result:
            log.error("selfcheck.failed reason=%s %s; refusing to serve until restarted on a sound database",
                      finding.reason, finding.detail)
        if not result:
            log.info("selfcheck.passed")
        app.extensions[RESULT_KEY] = result
        return result


def refused_response(findings: list[Finding]):
    response = outage_response("self_check")
    if wants_problem():
        payload = response.get_json()
        payload["findings"] = [finding.reason for finding in findings]
        response.set_data(current_app.json.dumps(payload))
    return response


def init_selfcheck(app: Flask) -> None:
    if not app.config["SELF_CHECK"]:
        return

    @app.before_request
    def refuse_to_serve_a_failed_check():
        if request.endpoint in UNCHECKED_ENDPOINTS:
            return None
        findings = checked_findings(current_app._get_current_object())
        return refused_response(findings) if findings else None
