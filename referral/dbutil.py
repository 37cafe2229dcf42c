"""Small portable SQL helpers for the two databases we run on."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db


def insert_ignoring_conflict(table, **values):
    """INSERT ... ON CONFLICT DO NOTHING, on PostgreSQL and SQLite alike."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).values(**values).on_conflict_do_nothing()
