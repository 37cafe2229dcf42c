"""Database faults for tests: a read-only SQLite for real (PRAGMA query_only), or an error raised as
SQLite raises it for the outages a test cannot cause (a full disk, a missing file)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

import pytest
from sqlalchemy import event

from referral.extensions import db

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _sqlite_only() -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite fault; PostgreSQL's own are in tests/test_faults_recovery.py")


@contextlib.contextmanager
def sqlite_read_only() -> Iterator[None]:
    """Every connection checked out inside the block refuses writes, as a read-only file would."""
    _sqlite_only()

    def read_only(dbapi_connection, _record, _proxy):
        dbapi_connection.execute("PRAGMA query_only = ON")

    db.session.commit()
    db.engine.dispose()
    event.listen(db.engine, "checkout", read_only)
    try:
        yield
    finally:
        event.remove(db.engine, "checkout", read_only)
        db.session.rollback()
        db.engine.dispose()  # the connections made read-only are dropped with the pool


@contextlib.contextmanager
def sqlite_error(message: str, *, writes_only: bool, starting: str = "") -> Iterator[list[str]]:
    """Statements (or only the writes, or only those starting with ``starting``) fail with SQLite's
    own error ``message``; yields the statements refused."""
    _sqlite_only()
    refused: list[str] = []

    def fail(_cursor, statement, *_args):
        # Raised where the driver would raise it, so SQLAlchemy wraps it as it wraps the real one.
        text = statement.lstrip().upper()
        if (not writes_only or text.startswith(WRITES)) and text.startswith(starting.upper()):
            refused.append(statement)
            raise sqlite3.OperationalError(message)

    db.session.commit()
    for hook in ("do_execute", "do_execute_no_params"):
        event.listen(db.engine, hook, fail)
    try:
        yield refused
    finally:
        for hook in ("do_execute", "do_execute_no_params"):
            event.remove(db.engine, hook, fail)
        db.session.rollback()
