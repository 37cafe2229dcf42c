"""Background work: the SLA sweep, email delivery, session cleanup and audit head signing.

``register(app)`` adds the ``flask scheduler`` command (a scheduler process of its own, for
installs with several app nodes) and, when ``SCHEDULER_IN_WEB`` is set, starts the same jobs in a
background thread of the serving process (single-node installs). A database lock per job keeps
every job to one run at a time however many processes run a scheduler.
"""

from __future__ import annotations

from flask import Flask

from .locks import SCHEDULER_ACTOR

__all__ = ["SCHEDULER_ACTOR", "register"]


def register(app: Flask) -> None:
    from .scheduler import scheduler_command, start_in_web

    app.cli.add_command(scheduler_command)
    start_in_web(app)
