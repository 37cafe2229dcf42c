"""SQLite settings for the embedded default: foreign keys on, and waiting instead of failing on a lock."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event


def init_sqlite(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from .extensions import db

    with app.app_context():
        engine = db.engine
    in_memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        # Deleted and overwritten rows are zeroed, not left in free pages: after crypto-shredding,
        # the wrapped key and the ciphertexts must not stay readable in the file.
        cursor.execute("PRAGMA secure_delete=ON")
        if not in_memory:
            # Readers do not block the writer: the web process and the scheduler share the file.
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
