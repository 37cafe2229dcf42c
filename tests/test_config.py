"""Production refuses to start with a missing, malformed or public (demo) secret."""

from __future__ import annotations

import base64
import os
import re

import pytest

from config import (
    DEMO_AUDIT_CHAIN_KEY,
    DEMO_AUDIT_SIGNING_KEY,
    DEMO_BLIND_INDEX_KEY,
    DEMO_MASTER_KEYS,
    DEMO_SECRET_KEY,
    ConfigurationError,
    load_config,
    normalize_database_url,
)
from referral import create_app
from referral.extensions import db

SECRETS = ("SECRET_KEY", "MASAR_MASTER_KEYS", "MASAR_BLIND_INDEX_KEY", "MASAR_AUDIT_SIGNING_KEY",
           "MASAR_AUDIT_CHAIN_KEY", "MASAR_AUDIT_CHECKPOINT_DIR", "DATABASE_URL")


def b64(size: int = 32) -> str:
    return base64.b64encode(os.urandom(size)).decode()


@pytest.fixture
def production_env(monkeypatch, database_url, tmp_path):
    """A complete, fresh production configuration; tests then break one piece of it."""
    for name in ("MASAR_ACTIVE_MASTER_KEY", "MASAR_SECURE_COOKIES", "TEST_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    values = {"SECRET_KEY": b64(48), "MASAR_MASTER_KEYS": f"k2026:{b64()}", "MASAR_BLIND_INDEX_KEY": b64(),
              "MASAR_AUDIT_SIGNING_KEY": b64(), "MASAR_AUDIT_CHAIN_KEY": b64(),
              "MASAR_AUDIT_CHECKPOINT_DIR": str(tmp_path / "checkpoints"), "DATABASE_URL": database_url}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def refusal(**overrides) -> str:
    with pytest.raises(ConfigurationError) as error:
        create_app("production", overrides or None)
    message = str(error.value)
    assert message.startswith("Masar refuses to start in production: ") and message.count("refuses") == 1
    return message


def test_a_complete_production_configuration_starts(production_env, database_url):
    app = create_app("production")
    try:
        assert app.config["ENV_NAME"] == "production" and not app.config["TESTING"]
        assert app.config["SQLALCHEMY_DATABASE_URI"] == database_url
        assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["PREFERRED_URL_SCHEME"] == "https"
        with app.app_context():
            assert db.session.execute(db.text("select 1")).scalar_one() == 1
    finally:
        with app.app_context():
            db.engine.dispose()


def test_every_missing_secret_is_listed_in_one_message(production_env, monkeypatch):
    for name in SECRETS:
        monkeypatch.delenv(name)
    message = refusal()
    for name in SECRETS:
        assert f"{name} is not set" in message


@pytest.mark.parametrize(
    ("variable", "demo"),
    [
        ("SECRET_KEY", DEMO_SECRET_KEY),
        ("MASAR_MASTER_KEYS", DEMO_MASTER_KEYS),
        ("MASAR_MASTER_KEYS", "prod:" + DEMO_MASTER_KEYS.split(":", 1)[1]),  # demo material, new id
        ("MASAR_MASTER_KEYS", f"k2026:{b64()},{DEMO_MASTER_KEYS}"),  # a real key beside the demo one
        ("MASAR_MASTER_KEYS", "prod: " + DEMO_MASTER_KEYS.split(":", 1)[1]),
        ("MASAR_BLIND_INDEX_KEY", DEMO_BLIND_INDEX_KEY),
        ("MASAR_BLIND_INDEX_KEY", DEMO_BLIND_INDEX_KEY + "\n"),  # as `$(cat keyfile)` gives it
        ("MASAR_AUDIT_SIGNING_KEY", DEMO_AUDIT_SIGNING_KEY),
        ("MASAR_AUDIT_SIGNING_KEY", " " + DEMO_AUDIT_SIGNING_KEY),
        ("MASAR_AUDIT_CHAIN_KEY", DEMO_AUDIT_CHAIN_KEY),
        ("MASAR_AUDIT_CHAIN_KEY", DEMO_AUDIT_CHAIN_KEY + "\n"),
    ],
    ids=["secret", "master", "master-new-id", "master-beside-real", "master-spaced", "blind", "blind-newline",
         "audit", "audit-spaced", "chain", "chain-newline"],
)
def test_a_demo_secret_is_refused_however_it_is_written(production_env, monkeypatch, variable, demo):
    monkeypatch.setenv(variable, demo)
    assert refusal() == (f"Masar refuses to start in production: {variable} holds a demo value. "
                         "See README.md, 'Keys'.")


def test_all_problems_at_once_and_no_secret_echoed(production_env, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "short")
    monkeypatch.setenv("MASAR_MASTER_KEYS", DEMO_MASTER_KEYS)
    monkeypatch.setenv("MASAR_BLIND_INDEX_KEY", "not base64 at all!")
    short_seed = b64(16)
    monkeypatch.setenv("MASAR_AUDIT_SIGNING_KEY", short_seed)
    monkeypatch.delenv("DATABASE_URL")
    message = refusal()
    assert "SECRET_KEY must be at least 32 characters" in message
    assert "MASAR_MASTER_KEYS holds a demo value" in message
    assert "MASAR_BLIND_INDEX_KEY is not valid base64" in message
    assert "MASAR_AUDIT_SIGNING_KEY must be" in message and "32 bytes" in message
    assert "DATABASE_URL is not set" in message
    for secret in ("short", DEMO_MASTER_KEYS.split(":", 1)[1], "not base64 at all!", short_seed):
        assert secret not in message


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("MASAR_MASTER_KEYS", f"k2026:{b64(16)}", "master key 'k2026' must be 32 bytes, got 16"),
        ("MASAR_MASTER_KEYS", "k2026", "entries must look like 'key-id:base64key'"),
        ("MASAR_ACTIVE_MASTER_KEY", "k2027", "active master key 'k2027' is not in MASAR_MASTER_KEYS"),
        ("MASAR_BLIND_INDEX_KEY", b64(16), "MASAR_BLIND_INDEX_KEY must be at least 32 bytes"),
        ("MASAR_AUDIT_CHAIN_KEY", b64(16), "MASAR_AUDIT_CHAIN_KEY must be at least 32 bytes"),
        ("MASAR_SECURE_COOKIES", "0", "MASAR_SECURE_COOKIES cannot be turned off in production"),
    ],
    ids=["master-length", "master-no-id", "active-unknown", "blind-short", "chain-short", "insecure-cookies"],
)
def test_malformed_or_unsafe_settings_are_refused_before_start(production_env, monkeypatch, variable, value,
                                                               problem):
    monkeypatch.setenv(variable, value)
    assert problem in refusal()


def test_one_key_used_for_two_purposes_is_refused(production_env, monkeypatch):
    monkeypatch.setenv("MASAR_AUDIT_SIGNING_KEY", production_env["MASAR_BLIND_INDEX_KEY"])
    assert "MASAR_BLIND_INDEX_KEY and MASAR_AUDIT_SIGNING_KEY must be different keys" in refusal()


def test_the_chain_key_cannot_double_as_another_key(production_env, monkeypatch):
    monkeypatch.setenv("MASAR_AUDIT_CHAIN_KEY", production_env["MASAR_AUDIT_SIGNING_KEY"])
    assert "MASAR_AUDIT_SIGNING_KEY and MASAR_AUDIT_CHAIN_KEY must be different keys" in refusal()


def test_an_explicit_database_override_counts_as_set(production_env, monkeypatch, database_url):
    monkeypatch.delenv("DATABASE_URL")
    app = create_app("production", {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("setting", "value", "problem"),
    [
        ("BLIND_INDEX_KEY", "c2hvcnQ=", "MASAR_BLIND_INDEX_KEY, MASAR_BLIND_INDEX_BITS or MASAR_DEFAULT_PHONE_REGION"),
        ("BLIND_INDEX_BITS", 4, "bits must be an integer between 8 and 64"),
        ("AUDIT_SIGNING_KEY", "c2hvcnQ=", "MASAR_AUDIT_SIGNING_KEY must be a base64 Ed25519 seed of 32 bytes"),
        ("MASTER_KEYS", "k1:c2hvcnQ=", "master key 'k1' must be 32 bytes, got 5"),
    ],
)
def test_any_environment_names_the_key_setting_that_is_wrong(database_url, setting, value, problem):
    from referral.security.crypto import KeyConfigurationError

    with pytest.raises(KeyConfigurationError, match=re.escape(problem)):
        create_app("test", {"SQLALCHEMY_DATABASE_URI": database_url, setting: value})


def test_development_and_test_run_on_demo_secrets(monkeypatch):
    for name in SECRETS:
        monkeypatch.delenv(name, raising=False)
    for name in ("development", "test"):
        config = load_config(name)
        assert config["MASTER_KEYS"] == DEMO_MASTER_KEYS and config["SECRET_KEY"] == DEMO_SECRET_KEY


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://masar:pw@db.internal:5432/masar", "postgresql://masar:pw@db.internal:5432/masar"),
        ("postgresql://masar@db/masar", "postgresql://masar@db/masar"),
        ("postgresql+psycopg2://masar@db/masar", "postgresql+psycopg2://masar@db/masar"),
        ("sqlite:////srv/masar/postgres://x.sqlite", "sqlite:////srv/masar/postgres://x.sqlite"),
    ],
)
def test_postgres_urls_are_normalised(production_env, monkeypatch, given, expected):
    assert normalize_database_url(given) == expected
    monkeypatch.setenv("DATABASE_URL", given)
    assert load_config("production")["SQLALCHEMY_DATABASE_URI"] == expected
