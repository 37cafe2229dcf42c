"""Envelope encryption of survivor data: AES-256-GCM field ciphertexts under per-file data keys.

Each value gets a fresh 96-bit nonce and associated data naming its table, column and row, so a
ciphertext copied elsewhere fails to decrypt. Data keys are wrapped by master keys that come from
configuration, never from the database, and carry key ids so they can rotate.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_VERSION = b"\x01"
NONCE_BYTES = 12
KEY_BYTES = 32


class CryptoError(Exception):
    """Base class; messages name keys and places, never plaintext."""


class KeyConfigurationError(CryptoError):
    pass


class KeyMissing(CryptoError):
    pass


class DecryptionFailed(CryptoError):
    pass


class DataKeyShredded(CryptoError):
    pass


def field_aad(table: str, column: str, row_id: object) -> bytes:
    """Associated data binding a ciphertext to one place in the database."""
    return f"masar:v1:{table}:{column}:{row_id}".encode()


def new_data_key() -> bytes:
    return os.urandom(KEY_BYTES)


def _decode_key(key_id: str, text: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyConfigurationError(f"master key {key_id!r} is not valid base64") from exc
    if len(raw) != KEY_BYTES:
        raise KeyConfigurationError(f"master key {key_id!r} must be {KEY_BYTES} bytes, got {len(raw)}")
    return raw


class FieldCipher:
    """Encrypts and decrypts values under one 256-bit key."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes):
        if len(key) != KEY_BYTES:
            raise KeyConfigurationError("an AES-256 key must be 32 bytes")
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str | bytes, aad: bytes) -> bytes:
        data = plaintext.encode() if isinstance(plaintext, str) else plaintext
        nonce = os.urandom(NONCE_BYTES)
        return FORMAT_VERSION + nonce + self._aead.encrypt(nonce, data, aad)

    def decrypt(self, blob: bytes, aad: bytes) -> bytes:
        if not blob or blob[:1] != FORMAT_VERSION or len(blob) < 1 + NONCE_BYTES + 16:
            raise DecryptionFailed("ciphertext is malformed or of an unknown version")
        nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, aad)
        except InvalidTag as exc:
            raise DecryptionFailed(
                "ciphertext does not authenticate: wrong key, or moved from another row or column"
            ) from exc


@dataclass(frozen=True)
class WrappedKey:
    key_id: str
    blob: bytes


class MasterKeyRing:
    """The master keys from configuration; one is active for wrapping, all can unwrap."""

    def __init__(self, keys: dict[str, bytes], active_key_id: str | None = None):
        if not keys:
            raise KeyConfigurationError("no master key configured (MASAR_MASTER_KEYS)")
        self._ciphers = {kid: FieldCipher(key) for kid, key in keys.items()}
        self.active_key_id = active_key_id or next(iter(keys))
        if self.active_key_id not in keys:
            raise KeyConfigurationError(f"active master key {self.active_key_id!r} is not in MASAR_MASTER_KEYS")

    @classmethod
    def from_config(cls, spec: str | None, active_key_id: str | None = None) -> MasterKeyRing:
        """Parse "kid:base64key,kid:base64key" (the first is active unless named)."""
        keys: dict[str, bytes] = {}
        for part in (spec or "").split(","):
            if not part.strip():
                continue
            kid, sep, material = part.partition(":")
            kid = kid.strip()  # "old: key, new : key" is how people write lists by hand
            if not sep or not kid:
                raise KeyConfigurationError("MASAR_MASTER_KEYS entries must look like 'key-id:base64key'")
            if kid in keys:
                raise KeyConfigurationError(f"master key id {kid!r} appears twice")
            keys[kid] = _decode_key(kid, material)
        return cls(keys, active_key_id)

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._ciphers)

    def _cipher(self, key_id: str) -> FieldCipher:
        try:
            return self._ciphers[key_id]
        except KeyError:
            raise KeyMissing(f"master key {key_id!r} is not configured; add it to MASAR_MASTER_KEYS") from None

    def wrap(self, data_key: bytes, aad: bytes) -> WrappedKey:
        return WrappedKey(self.active_key_id, self._cipher(self.active_key_id).encrypt(data_key, aad))

    def unwrap(self, wrapped: WrappedKey, aad: bytes) -> bytes:
        key = self._cipher(wrapped.key_id).decrypt(wrapped.blob, aad)
        if len(key) != KEY_BYTES:
            raise DecryptionFailed("unwrapped data key has the wrong length")
        return key

    def encrypt(self, plaintext: str | bytes, aad: bytes) -> WrappedKey:
        """Encrypt a small secret (a TOTP seed) directly under the active master key."""
        return self.wrap_value(plaintext, aad)

    def wrap_value(self, plaintext: str | bytes, aad: bytes) -> WrappedKey:
        return WrappedKey(self.active_key_id, self._cipher(self.active_key_id).encrypt(plaintext, aad))

    def decrypt(self, wrapped: WrappedKey, aad: bytes) -> bytes:
        return self._cipher(wrapped.key_id).decrypt(wrapped.blob, aad)
