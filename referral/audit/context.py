"""Who is acting, and from where: set by the web layer, the API, a command or a job.

Domain code never sees `request`; it reads the actor from here, so the same operation audits the
same way whether it runs from a page, the API, the scheduler or the command line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    username: str | None = None
    agency_id: int | None = None
    roles: tuple[str, ...] = ()
    #: Short, non-secret reference of the session or token (never the token itself).
    session_ref: str | None = None
    ip_address: str | None = None
    #: "web", "api", "cli", "scheduler".
    channel: str = "system"
    extra: dict = field(default_factory=dict)


SYSTEM = Actor(username="system", channel="system")

_current: ContextVar[Actor] = ContextVar("masar_actor", default=SYSTEM)


def current_actor() -> Actor:
    return _current.get()


def set_actor(actor: Actor):
    return _current.set(actor)


def reset_actor(token) -> None:
    _current.reset(token)


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)
