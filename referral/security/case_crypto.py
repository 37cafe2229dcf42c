"""Per-file data keys and the encryption of survivor fields under them.

A file's data key is created with the file, wrapped by the active master key, and cached for the
length of one request or job (unwrapping is cheap, but a list page should not do it twice per row).
Destroying the wrapped key shreds every ciphertext of the file at once.
"""

from __future__ import annotations

import uuid

from flask import g, has_app_context
from sqlalchemy import select

from ..extensions import db
from ..models import CaseKey
from ..models.base import utcnow
from .crypto import DataKeyShredded, FieldCipher, WrappedKey, field_aad, new_data_key
from .keys import app_keys


def _wrap_aad(case_id: uuid.UUID) -> bytes:
    return f"masar:v1:case_keys:wrapped_key:{case_id}".encode()


def _cache() -> dict:
    if not has_app_context():
        return {}
    cache = g.get("_case_ciphers")
    if cache is None:
        cache = g._case_ciphers = {}
    return cache


def create_case_key(case_id: uuid.UUID) -> FieldCipher:
    data_key = new_data_key()
    wrapped = app_keys().master.wrap(data_key, _wrap_aad(case_id))
    db.session.add(CaseKey(case_id=case_id, master_key_id=wrapped.key_id, wrapped_key=wrapped.blob))
    cipher = FieldCipher(data_key)
    _cache()[case_id] = cipher
    return cipher


def case_cipher(case_id: uuid.UUID) -> FieldCipher:
    cache = _cache()
    cipher = cache.get(case_id)
    if cipher is not None:
        return cipher
    row = db.session.execute(select(CaseKey).where(CaseKey.case_id == case_id)).scalar_one_or_none()
    if row is None:
        raise DataKeyShredded(f"the data key of file {case_id} was erased; its identity is unreadable")
    data_key = app_keys().master.unwrap(WrappedKey(row.master_key_id, row.wrapped_key), _wrap_aad(case_id))
    cipher = cache[case_id] = FieldCipher(data_key)
    return cipher


def forget_cached_key(case_id: uuid.UUID) -> None:
    _cache().pop(case_id, None)


def rewrap(row: CaseKey) -> bool:
    """Re-wrap one data key under the active master key; False if it already is."""
    keys = app_keys().master
    if row.master_key_id == keys.active_key_id:
        return False
    data_key = keys.unwrap(WrappedKey(row.master_key_id, row.wrapped_key), _wrap_aad(row.case_id))
    wrapped = keys.wrap(data_key, _wrap_aad(row.case_id))
    row.master_key_id, row.wrapped_key = wrapped.key_id, wrapped.blob
    row.rotated_at = utcnow()
    return True


def seal(case_id: uuid.UUID, table: str, column: str, row_id: object, value: str | bytes | None) -> bytes | None:
    if value is None or value == "":
        return None
    return case_cipher(case_id).encrypt(value, field_aad(table, column, row_id))


def unseal(case_id: uuid.UUID, table: str, column: str, row_id: object, blob: bytes | None) -> bytes | None:
    if blob is None:
        return None
    return case_cipher(case_id).decrypt(blob, field_aad(table, column, row_id))


def unseal_text(case_id: uuid.UUID, table: str, column: str, row_id: object, blob: bytes | None) -> str | None:
    raw = unseal(case_id, table, column, row_id, blob)
    return raw.decode() if raw is not None else None
