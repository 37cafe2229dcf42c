"""The app's key material, built once from configuration and kept on the app object."""

from __future__ import annotations

import base64
import binascii

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import Flask, current_app

from .blind_index import BlindIndexer
from .crypto import KeyConfigurationError, MasterKeyRing

EXTENSION_KEY = "masar.keys"


class AppKeys:
    def __init__(self, config: dict):
        self.master = MasterKeyRing.from_config(config.get("MASTER_KEYS"), config.get("ACTIVE_MASTER_KEY_ID"))
        root = _b64("MASAR_BLIND_INDEX_KEY", config.get("BLIND_INDEX_KEY"))
        try:
            self.blind_index = BlindIndexer(
                root, bits=config.get("BLIND_INDEX_BITS", 18), default_region=config.get("DEFAULT_PHONE_REGION", "MA")
            )
        except ValueError as exc:
            # Name the setting to fix; the indexer only knows its own arguments.
            raise KeyConfigurationError(f"MASAR_BLIND_INDEX_KEY, MASAR_BLIND_INDEX_BITS or "
                                        f"MASAR_DEFAULT_PHONE_REGION: {exc}") from exc
        seed = _b64("MASAR_AUDIT_SIGNING_KEY", config.get("AUDIT_SIGNING_KEY"))
        if len(seed) != 32:
            raise KeyConfigurationError("MASAR_AUDIT_SIGNING_KEY must be a base64 Ed25519 seed of 32 bytes")
        self.audit_signing = Ed25519PrivateKey.from_private_bytes(seed)
        #: HMAC key of the audit hash chain (never stored in the database).
        self.audit_chain = _b64("MASAR_AUDIT_CHAIN_KEY", config.get("AUDIT_CHAIN_KEY"))
        if len(self.audit_chain) < 32:
            raise KeyConfigurationError("MASAR_AUDIT_CHAIN_KEY must be at least 32 bytes")

    @property
    def audit_public_key(self) -> Ed25519PublicKey:
        return self.audit_signing.public_key()

    def audit_key_fingerprint(self) -> str:
        raw = self.audit_public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return raw.hex()


def _b64(name: str, value: str | None) -> bytes:
    if not value:
        raise KeyConfigurationError(f"{name} is not set")
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyConfigurationError(f"{name} is not valid base64") from exc


def init_keys(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = AppKeys(app.config)


def app_keys() -> AppKeys:
    return current_app.extensions[EXTENSION_KEY]
