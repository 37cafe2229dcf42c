"""Small portable SQL helpers for the two databases we run on."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db


def insert_ignoring_conflict(table, **values):
    """INSERT ... ON CONFLICT DO NOTHING, on PostgreSQL and SQLite alike."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).values(**values).on_conflict_do_nothing()


def lock_row(model, row_id) -> None:
    """Hold one row until the transaction ends: whoever locks the same row meanwhile waits, then
    reads what this transaction committed. Serialises a check-then-write such as "fewer than three
    today, so grant one more".

    PostgreSQL: SELECT ... FOR UPDATE. SQLite has one writer at a time: a no-op UPDATE takes the
    write lock and opens the transaction there, so the reads that follow are current (a plain
    SELECT would run before the transaction begins and could read a count another writer is about
    to change).
    """
    table = model.__table__
    key = table.c.id
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(key).where(key == row_id).with_for_update())
    else:
        db.session.execute(update(table).where(key == row_id).values(id=key))
