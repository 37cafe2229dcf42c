"""Masar configuration: defaults per environment, every value overridable from the environment.

`load_config(name)` reads the environment when the app is created (not at import), so a test or a
command can change a variable and build a new app. The development and test environments carry
*demo* secrets so that `make run` and `make test` work on a fresh machine; they are public (they are
in this file), so production refuses to start with any of them, or with any secret missing.
"""

from __future__ import annotations

import base64
import binascii
import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

# Demo secrets: public, for development and tests only. Production refuses every one of them.
DEMO_SECRET_KEY = "demo-secret-key-not-for-production"
DEMO_MASTER_KEYS = "demo2026:ZGVtby1tYXN0ZXIta2V5LW5vdC1mb3ItcHJvZHVjdG4="
DEMO_BLIND_INDEX_KEY = "ZGVtby1ibGluZC1pbmRleC1rZXktbm90LWZvci1wcm8="
DEMO_AUDIT_SIGNING_KEY = "ZGVtby1hdWRpdC1rZXktbm90LWZvci1wcm9kdWN0aW8="
DEMO_AUDIT_CHAIN_KEY = "ZGVtby1hdWRpdC1jaGFpbi1rZXktbm90LWZvci1wcm9k"
DEMO_VALUES = {DEMO_SECRET_KEY, DEMO_MASTER_KEYS, DEMO_BLIND_INDEX_KEY, DEMO_AUDIT_SIGNING_KEY, DEMO_AUDIT_CHAIN_KEY}

ENVIRONMENTS = ("development", "test", "production")

# (setting, environment variable) pairs production insists on.
PRODUCTION_REQUIRED = (
    ("SECRET_KEY", "SECRET_KEY"),
    ("MASTER_KEYS", "MASAR_MASTER_KEYS"),
    ("BLIND_INDEX_KEY", "MASAR_BLIND_INDEX_KEY"),
    ("AUDIT_SIGNING_KEY", "MASAR_AUDIT_SIGNING_KEY"),
    ("AUDIT_CHAIN_KEY", "MASAR_AUDIT_CHAIN_KEY"),
    ("AUDIT_CHECKPOINT_DIR", "MASAR_AUDIT_CHECKPOINT_DIR"),
    ("SQLALCHEMY_DATABASE_URI", "DATABASE_URL"),
)


class ConfigurationError(RuntimeError):
    """Raised at start-up when the configuration is unsafe or incomplete."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a whole number, got {value!r}") from exc


def _env_optional_int(name: str) -> int | None:
    return None if _env(name) is None else _env_int(name, 0)


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalize_database_url(url: str) -> str:
    """Accept the URL forms operators paste (`postgres://`, `postgresql://`) as given."""
    if url.startswith("postgres://"):
        return "postgresql://" + url[len("postgres://") :]
    return url


def environment_name(name: str | None = None) -> str:
    name = name or _env("MASAR_CONFIG", "development")
    if name not in ENVIRONMENTS:
        raise ConfigurationError(f"MASAR_CONFIG must be one of {', '.join(ENVIRONMENTS)}, got {name!r}")
    return name


def load_config(name: str | None = None) -> dict:
    """Every setting of environment `name`, read from the environment now."""
    env = environment_name(name)
    production = env == "production"
    testing = env == "test"
    default_db = "sqlite://" if testing else f"sqlite:///{INSTANCE_DIR / 'masar.sqlite'}"
    db_url = _env("TEST_DATABASE_URL", default_db) if testing else _env("DATABASE_URL", default_db)
    return {
        "ENV_NAME": env,
        "TESTING": testing,
        "DEBUG": False,
        #: Tests see unexpected exceptions instead of the generic error page.
        "PROPAGATE_UNEXPECTED": testing,
        "SECRET_KEY": _env("SECRET_KEY", None if production else DEMO_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(db_url),
        # Pre-ping replaces connections the database closed; recycling bounds how long a connection
        # keeps a session default (a read-only period) that pre-ping cannot see.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True,
                                      "pool_recycle": _env_int("MASAR_DB_RECYCLE_SECONDS", 300)},
        #: Check once per process, before serving, that the schema is at the migrations' head with its
        #: protections and that the master keys unwrap a data key (referral/selfcheck.py).
        "SELF_CHECK": _env_bool("MASAR_SELF_CHECK", True),
        #: Retry-After of the 503 answered while the database is unreachable, read-only or full.
        "UNAVAILABLE_RETRY_SECONDS": _env_int("MASAR_UNAVAILABLE_RETRY_SECONDS", 30),
        #: Master keys wrap every survivor file's data key: "kid:base64key,kid:base64key".
        "MASTER_KEYS": _env("MASAR_MASTER_KEYS", None if production else DEMO_MASTER_KEYS),
        #: Which master key wraps new data keys (default: the first); the others stay readable.
        "ACTIVE_MASTER_KEY_ID": _env("MASAR_ACTIVE_MASTER_KEY"),
        #: Root key (base64) from which one HMAC key per blind-indexed column is derived.
        "BLIND_INDEX_KEY": _env("MASAR_BLIND_INDEX_KEY", None if production else DEMO_BLIND_INDEX_KEY),
        #: Bits kept of each blind index: fewer bits, more candidates per value, less leaked.
        "BLIND_INDEX_BITS": _env_int("MASAR_BLIND_INDEX_BITS", 18),
        #: Ed25519 seed (base64, 32 bytes) signing the audit chain head; kept outside the database.
        "AUDIT_SIGNING_KEY": _env("MASAR_AUDIT_SIGNING_KEY", None if production else DEMO_AUDIT_SIGNING_KEY),
        #: HMAC key (base64, 32 bytes or more) of the audit hash chain; kept outside the database, so
        #: whoever can write to the database cannot recompute the hashes after changing an event.
        "AUDIT_CHAIN_KEY": _env("MASAR_AUDIT_CHAIN_KEY", None if production else DEMO_AUDIT_CHAIN_KEY),
        #: Directory, outside the database and out of reach of its administrators (append-only or
        #: write-once storage), where every signed checkpoint is also written.
        "AUDIT_CHECKPOINT_DIR": _env("MASAR_AUDIT_CHECKPOINT_DIR",
                                     None if production or testing else str(INSTANCE_DIR / "audit-checkpoints")),
        #: Country assumed for phone numbers typed without an international prefix.
        "DEFAULT_PHONE_REGION": _env("MASAR_DEFAULT_PHONE_REGION", "MA"),
        #: Time zone of agencies that do not set their own.
        "DEFAULT_TIMEZONE": _env("MASAR_DEFAULT_TIMEZONE", "Africa/Casablanca"),
        #: Address of the app as users reach it, for links in emails (never survivor data).
        "BASE_URL": _env("MASAR_BASE_URL", "http://127.0.0.1:5000"),
        #: Where the quick-exit button and the Escape key send the screen: a site that draws no attention.
        "QUICK_EXIT_URL": _env("MASAR_QUICK_EXIT_URL", "https://www.google.com/search?q=weather"),
        "SESSION_IDLE_TIMEOUT": timedelta(minutes=_env_int("MASAR_SESSION_IDLE_MINUTES", 15)),
        "SESSION_ABSOLUTE_LIFETIME": timedelta(hours=_env_int("MASAR_SESSION_MAX_HOURS", 10)),
        "SESSION_COOKIE_NAME": "masar_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("MASAR_SECURE_COOKIES", production),
        #: Failed logins on one account before it is locked, and for how long.
        "LOGIN_LOCKOUT_THRESHOLD": _env_int("MASAR_LOGIN_LOCKOUT_THRESHOLD", 5),
        "LOGIN_LOCKOUT_MINUTES": _env_int("MASAR_LOGIN_LOCKOUT_MINUTES", 15),
        #: Redis shared by every app process (rate limits); unset, an embedded install keeps them in
        #: each process's memory.
        "REDIS_URL": _env("REDIS_URL"),
        #: Flask-Limiter storage: RATELIMIT_STORAGE_URI, else REDIS_URL, else each process's memory.
        "RATELIMIT_STORAGE_URI": "memory://" if testing else _env("RATELIMIT_STORAGE_URI",
                                                                   _env("REDIS_URL", "memory://")),
        #: If the shared storage goes away, limits go on in each process's memory rather than fail
        #: (and an error reaching it never fails a request: swallowed and logged).
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        #: An unreachable Redis must cost a request half a second, not a hang.
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        # Public report pages, per visitor (a keyed digest of her address, never the address).
        "PUBLIC_REPORTS_PER_HOUR": _env_int("MASAR_PUBLIC_REPORTS_PER_HOUR", 5),
        "PUBLIC_STATUS_LOOKUPS_PER_HOUR": _env_int("MASAR_PUBLIC_STATUS_LOOKUPS_PER_HOUR", 20),
        "RATELIMIT_LOGIN": _env("MASAR_RATELIMIT_LOGIN", "30 per minute;300 per hour"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_ENABLED": _env_bool("MASAR_RATELIMIT_ENABLED", True),
        #: How many reverse proxies are in front (their X-Forwarded-* headers are trusted); unset in
        #: production refuses forwarded requests (referral/security/proxies.py), 0 says none.
        "TRUSTED_PROXIES": _env_optional_int("MASAR_TRUSTED_PROXIES"),
        "REFUSE_UNTRUSTED_FORWARDING": _env_bool("MASAR_REFUSE_UNTRUSTED_FORWARDING", production),
        "MAIL_SERVER": _env("SMTP_HOST", "127.0.0.1"),
        "MAIL_PORT": _env_int("SMTP_PORT", 25),
        "MAIL_USERNAME": _env("SMTP_USERNAME"),
        "MAIL_PASSWORD": _env("SMTP_PASSWORD"),
        "MAIL_USE_STARTTLS": _env_bool("SMTP_STARTTLS", False),
        "MAIL_FROM": _env("MAIL_FROM", "masar@localhost"),
        #: Lifetime of API bearer tokens.
        "API_TOKEN_HOURS": _env_int("MASAR_API_TOKEN_HOURS", 8),
        #: Background jobs: how often each runs, how long a breach waits before escalation.
        "SLA_SWEEP_SECONDS": _env_int("MASAR_SLA_SWEEP_SECONDS", 60),
        "SLA_SWEEP_BATCH": _env_int("MASAR_SLA_SWEEP_BATCH", 500),
        "SLA_ESCALATE_AFTER_MINUTES": _env_int("MASAR_SLA_ESCALATE_AFTER_MINUTES", 240),
        # How long a receiving agency still reads the survivor's data after completing its referral.
        "RECIPIENT_ACCESS_AFTER_COMPLETION": timedelta(days=_env_int("MASAR_RECIPIENT_ACCESS_DAYS", 30)),
        "OUTBOX_SECONDS": _env_int("MASAR_OUTBOX_SECONDS", 30),
        "SESSION_CLEANUP_SECONDS": _env_int("MASAR_SESSION_CLEANUP_SECONDS", 3600),
        "AUDIT_SIGN_SECONDS": _env_int("MASAR_AUDIT_SIGN_SECONDS", 900),
        #: How often the sequencer links the events requests wrote into the access log's chain.
        "AUDIT_CHAIN_SECONDS": _env_int("MASAR_AUDIT_CHAIN_SECONDS", 2),
        "HOT_CASE_REVIEW_SECONDS": _env_int("MASAR_HOT_CASE_REVIEW_SECONDS", 900),
        #: Run the SLA sweeps inside the web process (single-node installs).
        "SCHEDULER_IN_WEB": _env_bool("MASAR_SCHEDULER_IN_WEB", env == "development"),
        "BABEL_DEFAULT_LOCALE": "ar",
        #: Never used: `i18n.select_timezone` always answers (her agency's zone, else DEFAULT_TIMEZONE).
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "BABEL_TRANSLATION_DIRECTORIES": str(BASE_DIR / "translations"),
        "LANGUAGES": ("ar", "fr", "en"),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the server-side session
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,  # attachments up to 10 MB plus form overhead
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "FORCE_HTTPS": _env_bool("MASAR_FORCE_HTTPS", production),
    }


def _decoded_key(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


def _demo_key_material() -> set[bytes]:
    demo = [DEMO_MASTER_KEYS.split(":", 1)[1], DEMO_BLIND_INDEX_KEY, DEMO_AUDIT_SIGNING_KEY, DEMO_AUDIT_CHAIN_KEY]
    return {_decoded_key(text) for text in demo}


def _holds_demo_value(key: str, value: str) -> bool:
    """A demo secret however it is written: spaces, a trailing newline, under another key id."""
    if value.strip() in DEMO_VALUES:
        return True
    if key in ("SECRET_KEY", "AUDIT_CHECKPOINT_DIR"):
        return False
    materials = [part.split(":", 1)[-1] for part in value.split(",")] if key == "MASTER_KEYS" else [value]
    demo = _demo_key_material()
    return any(_decoded_key(material) in demo for material in materials)


def _key_problems(settings: dict) -> list[str]:
    """The checks the key ring makes at start-up, made here so that one message lists them all."""
    from referral.security.crypto import KeyConfigurationError, MasterKeyRing

    problems = []
    if settings.get("MASTER_KEYS"):
        try:
            MasterKeyRing.from_config(settings["MASTER_KEYS"], settings.get("ACTIVE_MASTER_KEY_ID"))
        except KeyConfigurationError as exc:
            problems.append(str(exc))
    roots = {}
    for key, env_name, exact in (("BLIND_INDEX_KEY", "MASAR_BLIND_INDEX_KEY", False),
                                 ("AUDIT_SIGNING_KEY", "MASAR_AUDIT_SIGNING_KEY", True),
                                 ("AUDIT_CHAIN_KEY", "MASAR_AUDIT_CHAIN_KEY", False)):
        if not settings.get(key):
            continue
        raw = _decoded_key(settings[key])
        if raw is None:
            problems.append(f"{env_name} is not valid base64")
        elif exact and len(raw) != 32:
            problems.append(f"{env_name} must be a base64 Ed25519 seed of 32 bytes")
        elif not exact and len(raw) < 32:
            problems.append(f"{env_name} must be at least 32 bytes")
        else:
            roots[env_name] = raw
    names = list(roots)
    for position, first in enumerate(names):
        problems += [f"{first} and {second} must be different keys"
                     for second in names[position + 1:] if roots[first] == roots[second]]
    return problems


def check_production(settings: dict) -> None:
    """Refuse to start with a missing, malformed or demo secret: one message listing everything to fix."""
    problems = []
    default_db = f"sqlite:///{INSTANCE_DIR / 'masar.sqlite'}"
    for key, env_name in PRODUCTION_REQUIRED:
        value = settings.get(key)
        if not value or (key == "SQLALCHEMY_DATABASE_URI" and value == default_db and not _env("DATABASE_URL")):
            problems.append(f"{env_name} is not set")
        elif key != "SQLALCHEMY_DATABASE_URI" and _holds_demo_value(key, str(value)):
            problems.append(f"{env_name} holds a demo value")
    secret = settings.get("SECRET_KEY") or ""
    if secret and len(secret) < 32:
        problems.append("SECRET_KEY must be at least 32 characters")
    problems += _key_problems(settings)
    if not settings.get("SESSION_COOKIE_SECURE"):
        problems.append("MASAR_SECURE_COOKIES cannot be turned off in production")
    if problems:
        raise ConfigurationError(
            "Masar refuses to start in production: " + "; ".join(problems) + ". See README.md, 'Keys'."
        )

