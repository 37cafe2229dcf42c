"""A public report's own data key, and the encryption of its fields under it.

A report is not a survivor file: it has its own key (wrapped by the master key, bound to the
report), so it can be shredded alone, and its ciphertexts are bound to the report's table, column
and row like a file's.
"""

from __future__ import annotations

import uuid

from ..extensions import db
from ..models import PublicReportKey
from .crypto import DataKeyShredded, FieldCipher, WrappedKey, field_aad, new_data_key
from .keys import app_keys


def _wrap_aad(report_id: uuid.UUID) -> bytes:
    return f"masar:v1:public_report_keys:wrapped_key:{report_id}".encode()


def create_report_key(report_id: uuid.UUID) -> FieldCipher:
    data_key = new_data_key()
    wrapped = app_keys().master.wrap(data_key, _wrap_aad(report_id))
    db.session.add(PublicReportKey(report_id=report_id, master_key_id=wrapped.key_id, wrapped_key=wrapped.blob))
    return FieldCipher(data_key)


def report_cipher(report_id: uuid.UUID) -> FieldCipher:
    row = db.session.get(PublicReportKey, report_id)
    if row is None:
        raise DataKeyShredded(f"the data key of report {report_id} was erased")
    return FieldCipher(app_keys().master.unwrap(WrappedKey(row.master_key_id, row.wrapped_key),
                                                _wrap_aad(report_id)))


def seal_report(cipher: FieldCipher, table: str, column: str, row_id: object, value: str | None) -> bytes | None:
    if not value:
        return None
    return cipher.encrypt(value, field_aad(table, column, row_id))


def unseal_report(cipher: FieldCipher, table: str, column: str, row_id: object, blob: bytes | None) -> str | None:
    if blob is None:
        return None
    return cipher.decrypt(blob, field_aad(table, column, row_id)).decode()
