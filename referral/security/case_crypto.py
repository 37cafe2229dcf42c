"""Per-file data keys and the encryption of survivor fields under them.

A file's data key is created with the file, wrapped by the active master key, and cached for the
length of one request or job (unwrapping is cheap, but a list page should not do it twice per row,
nor read the keys of its rows one query at a time: `prefetch_case_ciphers`).
Destroying the wrapped key shreds every ciphertext of the file at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from functools import lru_cache

from flask import g
from sqlalchemy import select

from ..extensions import db
from ..models import CaseKey
from ..models.base import utcnow
from .crypto import DataKeyShredded, FieldCipher, WrappedKey, field_aad, new_data_key
from .keys import app_keys

try:
    from flask.globals import _cv_app

    def _app_globals():
        """`g` of the current app context, or None: without werkzeug's LocalProxy, which cost a
        third of every `seal` (a microsecond per value)."""
        ctx = _cv_app.get(None)
        return ctx.g if ctx is not None else None
except ImportError:  # pragma: no cover - a Flask that moved it: the public proxy, slower
    from flask import has_app_context

    def _app_globals():
        return g._get_current_object() if has_app_context() else None


def wrap_aad(case_id: uuid.UUID) -> bytes:
    """Associated data of a file's wrapped data key (binds the wrapped key to its file)."""
    return f"masar:v1:case_keys:wrapped_key:{case_id}".encode()


@lru_cache(maxsize=256)
def _aad_prefix(table: str, column: str) -> bytes:
    return field_aad(table, column, "")


@lru_cache(maxsize=4096, typed=True)
def _row_text(row_id: object) -> bytes:
    return str(row_id).encode()


def _field_aad(table: str, column: str, row_id: object) -> bytes:
    """`crypto.field_aad`, byte for byte, without formatting a UUID on every call."""
    return _aad_prefix(table, column) + _row_text(row_id)


def _context_dict(name: str) -> dict | None:
    """A dictionary kept for this app context (one request, or one job); None outside one."""
    store = _app_globals()
    if store is None:
        return None
    kept = store.__dict__.get(name)
    if kept is None:
        kept = store.__dict__[name] = {}
    return kept


def _cache() -> dict | None:
    """The data keys unwrapped in this app context."""
    return _context_dict("_case_ciphers")


def create_case_key(case_id: uuid.UUID) -> FieldCipher:
    data_key = new_data_key()
    wrapped = app_keys().master.wrap(data_key, wrap_aad(case_id))
    db.session.add(CaseKey(case_id=case_id, master_key_id=wrapped.key_id, wrapped_key=wrapped.blob))
    cipher = FieldCipher(data_key)
    cache = _cache()
    if cache is not None:
        cache[case_id] = cipher
    return cipher


def _wrapped_keys() -> dict | None:
    """Wrapped data keys read with their files in this app context, not unwrapped yet."""
    return _context_dict("_case_wrapped_keys")


def remember_wrapped_key(row: CaseKey) -> None:
    """A file's wrapped data key, read in the same statement as the file (`services.cases.get_case`):
    unwrapped only if the file is decrypted, then as `case_cipher` would have read it itself."""
    wrapped = _wrapped_keys()
    if wrapped is not None:
        wrapped[row.case_id] = row


def case_cipher(case_id: uuid.UUID) -> FieldCipher:
    cache = _cache()
    if cache is not None and (cipher := cache.get(case_id)) is not None:
        return cipher
    wrapped = _wrapped_keys()
    row = wrapped.pop(case_id, None) if wrapped is not None else None
    if row is None:
        row = db.session.execute(select(CaseKey).where(CaseKey.case_id == case_id)).scalar_one_or_none()
    if row is None:
        raise DataKeyShredded(f"the data key of file {case_id} was erased; its identity is unreadable")
    cipher = _unwrapped(row)
    if cache is not None:
        cache[case_id] = cipher
    return cipher


def prefetch_case_ciphers(case_ids: Iterable[uuid.UUID]) -> None:
    """Unwrap the data keys of several files with one query (a list page, search candidates).

    Only keys that exist are cached: a shredded file stays absent, so `case_cipher` still raises
    DataKeyShredded for it. Outside an app context there is nowhere to keep them: nothing is read.
    """
    cache = _cache()
    if cache is None:
        return
    missing = {cid for cid in case_ids if cid not in cache}
    if not missing:
        return
    for row in db.session.execute(select(CaseKey).where(CaseKey.case_id.in_(missing))).scalars():
        cache[row.case_id] = _unwrapped(row)


def _unwrapped(row: CaseKey) -> FieldCipher:
    return FieldCipher(app_keys().master.unwrap(WrappedKey(row.master_key_id, row.wrapped_key),
                                                wrap_aad(row.case_id)))


def forget_cached_key(case_id: uuid.UUID) -> None:
    cache = _cache()
    if cache is not None:
        cache.pop(case_id, None)
    wrapped = _wrapped_keys()
    if wrapped is not None:
        wrapped.pop(case_id, None)


def rewrap(row: CaseKey) -> bool:
    """Re-wrap one data key under the active master key; False if it already is."""
    keys = app_keys().master
    if row.master_key_id == keys.active_key_id:
        return False
    data_key = keys.unwrap(WrappedKey(row.master_key_id, row.wrapped_key), wrap_aad(row.case_id))
    wrapped = keys.wrap(data_key, wrap_aad(row.case_id))
    row.master_key_id, row.wrapped_key = wrapped.key_id, wrapped.blob
    row.rotated_at = utcnow()
    return True


def seal(case_id: uuid.UUID, table: str, column: str, row_id: object, value: str | bytes | None) -> bytes | None:
    if value is None or value == "":
        return None
    return case_cipher(case_id).encrypt(value, _field_aad(table, column, row_id))


def unseal(case_id: uuid.UUID, table: str, column: str, row_id: object, blob: bytes | None) -> bytes | None:
    if blob is None:
        return None
    return case_cipher(case_id).decrypt(blob, _field_aad(table, column, row_id))


def unseal_text(case_id: uuid.UUID, table: str, column: str, row_id: object, blob: bytes | None) -> str | None:
    raw = unseal(case_id, table, column, row_id, blob)
    return raw.decode() if raw is not None else None
