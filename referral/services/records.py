"""Loading one record by the key a page address, a form or an API body gives: the faces ask here
instead of reaching the database themselves. A malformed key is no record, like an unknown one."""

from __future__ import annotations

import uuid

from sqlalchemy import Uuid, inspect

from ..extensions import db


def get_record(model, key):
    """The `model` row whose primary key is `key`, or None (no key, a malformed key, no such row)."""
    if key is None or key == "":
        return None
    column = inspect(model).primary_key[0]
    try:
        if isinstance(column.type, Uuid):
            key = key if isinstance(key, uuid.UUID) else uuid.UUID(str(key))
        else:
            key = int(key)
    except (TypeError, ValueError, AttributeError):
        return None
    if not isinstance(key, uuid.UUID) and not -2**31 <= key < 2**31:
        return None  # beyond the column: PostgreSQL would refuse the query
    return db.session.get(model, key)


def flush() -> None:
    """Write what a use case changed so far (ids, defaults and versions become readable)."""
    db.session.flush()
