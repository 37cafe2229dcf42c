"""Tests for referral.security.crypto: AES-GCM field ciphertexts and the master key ring."""

from __future__ import annotations

import base64
import os

import pytest

from referral.security.crypto import (
    DecryptionFailed,
    FieldCipher,
    KeyConfigurationError,
    KeyMissing,
    MasterKeyRing,
    WrappedKey,
    field_aad,
    new_data_key,
)

KEY = bytes(range(32))
AAD = field_aad("cases", "full_name", "0190a1b2-0000-7000-8000-000000000001")
SECRET = "فاطمة الزهراء بنعلي"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def spec(**keys: bytes) -> str:
    return ",".join(f"{kid}:{b64(raw)}" for kid, raw in keys.items())


# --- FieldCipher ---------------------------------------------------------------------------


def test_round_trip_of_text_and_bytes():
    cipher = FieldCipher(KEY)
    assert cipher.decrypt(cipher.encrypt(SECRET, AAD), AAD) == SECRET.encode()
    assert cipher.decrypt(cipher.encrypt(b"\x00\xff raw", AAD), AAD) == b"\x00\xff raw"


def test_ciphertext_does_not_contain_the_plaintext():
    blob = FieldCipher(KEY).encrypt(SECRET, AAD)
    assert SECRET.encode() not in blob
    assert "بنعلي".encode() not in blob


def test_a_fresh_nonce_for_every_value():
    cipher = FieldCipher(KEY)
    blobs = [cipher.encrypt(SECRET, AAD) for _ in range(50)]
    # Equal plaintexts must not give equal ciphertexts: an attacker could otherwise group files.
    assert len(set(blobs)) == 50
    assert len({blob[1:13] for blob in blobs}) == 50
    assert {cipher.decrypt(blob, AAD) for blob in blobs} == {SECRET.encode()}


@pytest.mark.parametrize(
    "other_aad",
    [
        field_aad("cases", "full_name", "0190a1b2-0000-7000-8000-000000000002"),  # another row
        field_aad("cases", "phone", "0190a1b2-0000-7000-8000-000000000001"),  # another column
        field_aad("notes", "full_name", "0190a1b2-0000-7000-8000-000000000001"),  # another table
        b"",
    ],
)
def test_a_ciphertext_moved_elsewhere_does_not_decrypt(other_aad):
    cipher = FieldCipher(KEY)
    blob = cipher.encrypt(SECRET, AAD)
    with pytest.raises(DecryptionFailed, match="moved from another row or column"):
        cipher.decrypt(blob, other_aad)


def test_every_tampered_byte_is_detected():
    cipher = FieldCipher(KEY)
    blob = cipher.encrypt("short", AAD)
    for position in range(len(blob)):
        tampered = bytearray(blob)
        tampered[position] ^= 0x01
        with pytest.raises(DecryptionFailed):
            cipher.decrypt(bytes(tampered), AAD)


@pytest.mark.parametrize("blob", [b"", b"\x01", b"\x01" + b"\x00" * 27, None])
def test_truncated_or_empty_ciphertext_fails_cleanly(blob):
    with pytest.raises(DecryptionFailed, match="malformed"):
        FieldCipher(KEY).decrypt(blob, AAD)


def test_unknown_format_version_is_refused():
    blob = FieldCipher(KEY).encrypt(SECRET, AAD)
    with pytest.raises(DecryptionFailed, match="unknown version"):
        FieldCipher(KEY).decrypt(b"\x02" + blob[1:], AAD)


def test_another_key_cannot_decrypt():
    blob = FieldCipher(KEY).encrypt(SECRET, AAD)
    with pytest.raises(DecryptionFailed):
        FieldCipher(new_data_key()).decrypt(blob, AAD)


@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_only_256_bit_keys_are_accepted(size):
    with pytest.raises(KeyConfigurationError, match="32 bytes"):
        FieldCipher(os.urandom(size))


# --- MasterKeyRing.from_config -------------------------------------------------------------


def test_parses_several_keys_first_is_active_unless_named():
    a, b = os.urandom(32), os.urandom(32)
    assert MasterKeyRing.from_config(spec(old=a, new=b)).active_key_id == "old"
    ring = MasterKeyRing.from_config(f" old:{b64(a)} , new : {b64(b)} ,", "new")
    assert ring.active_key_id == "new"
    assert ring.key_ids == ("old", "new")


@pytest.mark.parametrize(
    ("config", "active", "message"),
    [
        ("k1:not*base64!", None, "master key 'k1' is not valid base64"),
        (f"k1:{b64(os.urandom(16))}", None, "master key 'k1' must be 32 bytes, got 16"),
        (f"k1:{b64(os.urandom(32))},k1:{b64(os.urandom(32))}", None, "master key id 'k1' appears twice"),
        (f"k1:{b64(os.urandom(32))}", "k2", "active master key 'k2' is not in MASAR_MASTER_KEYS"),
        (b64(os.urandom(32)), None, "entries must look like 'key-id:base64key'"),
        (f":{b64(os.urandom(32))}", None, "entries must look like 'key-id:base64key'"),
        ("", None, "no master key configured"),
        (None, None, "no master key configured"),
        (" , ", None, "no master key configured"),
    ],
    ids=["base64", "length", "duplicate", "active", "no-id", "empty-id", "empty", "none", "blank"],
)
def test_bad_configuration_gives_a_clear_error(config, active, message):
    with pytest.raises(KeyConfigurationError) as error:
        MasterKeyRing.from_config(config, active)
    assert message in str(error.value)


def test_configuration_errors_never_echo_key_material():
    material = b64(os.urandom(16))
    with pytest.raises(KeyConfigurationError) as error:
        MasterKeyRing.from_config(f"k1:{material}")
    assert material not in str(error.value) and material[:8] not in str(error.value)


# --- wrapping and rotation -----------------------------------------------------------------


def test_wrap_and_unwrap_a_data_key():
    ring = MasterKeyRing.from_config(spec(k1=os.urandom(32)))
    data_key = new_data_key()
    wrapped = ring.wrap(data_key, b"case-1")
    assert wrapped.key_id == "k1" and data_key not in wrapped.blob
    assert ring.unwrap(wrapped, b"case-1") == data_key
    with pytest.raises(DecryptionFailed):
        ring.unwrap(wrapped, b"case-2")


def test_unknown_key_id_is_key_missing_with_a_clear_message():
    ring = MasterKeyRing.from_config(spec(k1=os.urandom(32)))
    wrapped = WrappedKey("gone2025", ring.wrap(new_data_key(), b"x").blob)
    with pytest.raises(KeyMissing, match="master key 'gone2025' is not configured; add it to MASAR_MASTER_KEYS"):
        ring.unwrap(wrapped, b"x")
    with pytest.raises(KeyMissing, match="gone2025"):
        ring.decrypt(wrapped, b"x")


def test_same_key_id_with_other_material_fails_to_unwrap():
    wrapped = MasterKeyRing.from_config(spec(k1=os.urandom(32))).wrap(new_data_key(), b"x")
    with pytest.raises(DecryptionFailed):
        MasterKeyRing.from_config(spec(k1=os.urandom(32))).unwrap(wrapped, b"x")


def test_a_wrapped_value_that_is_not_a_data_key_is_refused():
    ring = MasterKeyRing.from_config(spec(k1=os.urandom(32)))
    wrapped = ring.wrap_value(b"sixteen bytes!!!", b"x")
    assert ring.decrypt(wrapped, b"x") == b"sixteen bytes!!!"
    with pytest.raises(DecryptionFailed, match="wrong length"):
        ring.unwrap(wrapped, b"x")


def test_rotation_keeps_old_wraps_readable_then_the_old_key_can_go():
    old, new = os.urandom(32), os.urandom(32)
    before = MasterKeyRing.from_config(spec(old=old))
    during = MasterKeyRing.from_config(spec(new=new, old=old))
    after = MasterKeyRing.from_config(spec(new=new))
    data_key = new_data_key()
    wrapped = before.wrap(data_key, b"case")
    assert during.unwrap(wrapped, b"case") == data_key
    with pytest.raises(KeyMissing, match="'old'"):
        after.unwrap(wrapped, b"case")
    rewrapped = during.wrap(during.unwrap(wrapped, b"case"), b"case")
    assert rewrapped.key_id == "new"
    assert after.unwrap(rewrapped, b"case") == data_key
