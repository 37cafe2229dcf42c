"""Flask extensions, created once and bound to the app in `create_app`."""

import logging

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from limits import RateLimitItem
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import MetaData

# Deterministic constraint names, so Alembic migrations name things the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate(render_as_batch=True, compare_type=True)
babel = Babel()
csrf = CSRFProtect()


class SessionRowLoginManager(LoginManager):
    """Flask-Login asking only its request loader, which reads the server-side session row
    (lifecycle.py). Its own way first reads its `_user_id` session key, then a remember cookie, and
    a remember cookie signed with the app's key makes it write `_user_id` and `_fresh` into the
    session: a second answer to "who is this" kept in her row, or a new row for a visitor. The
    loader ignored them; now nothing is written. (Private names of Flask-Login 0.6, pinned;
    tests/test_lifecycle_login.py fails if an upgrade changes them.)"""

    def _load_user(self):
        return self._update_request_context_with_user(self._request_callback(request))


#: Who is logged in, read from the server-side session row (lifecycle.py); never a remember cookie.
login_manager = SessionRowLoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

#: Where `hit` counts while the shared storage (Redis) cannot be reached: this process's memory.
_fallback = FixedWindowRateLimiter(MemoryStorage())


def hit(item: RateLimitItem, *identifiers: str) -> bool:
    """Count one hit on a limit checked by hand (not by decorator); False once it is exceeded.
    Like the decorated limits (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED), it counts in memory while
    the shared storage is down rather than failing the request."""
    try:
        return limiter.limiter.hit(item, *identifiers)
    except Exception:  # noqa: BLE001  (whatever the storage's client raises)
        logging.getLogger(__name__).warning("ratelimit.storage_unreachable counting %s in memory", identifiers[0])
        return _fallback.hit(item, *identifiers)
