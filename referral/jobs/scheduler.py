"""APScheduler wiring: which job runs how often, each in an app context of its own.

The same scheduler runs in two places: a background thread of the web process (single-node
installs, ``SCHEDULER_IN_WEB``) or the foreground ``flask scheduler`` process (several nodes). Jobs
are thin: each calls one function that selects what is due, marks it, and commits; a database lock
per job makes a second scheduler harmless.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import click
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask, current_app
from sqlalchemy import delete, or_

from ..audit.context import acting_as
from ..extensions import db
from ..models import UserSession
from ..models.base import utcnow
from .locks import SCHEDULER_ACTOR, JobLease

logger = logging.getLogger(__name__)

#: Revoked or expired sessions are kept this long (to show "your session ended"), then deleted.
SESSION_RETENTION = timedelta(days=1)
EXTENSION_KEY = "masar_scheduler"


def sla_sweep_job():
    from .sweep import run_sla_sweep

    return run_sla_sweep()


def stay_sweep_job():
    from .stay_sweep import run_stay_sweep

    return run_stay_sweep()


def task_reminders_job():
    from ..services.tasks import send_reminders

    return send_reminders()


def hot_case_reviews_job():
    from .hot_case_reviews import send_review_reminders

    return send_review_reminders()


def email_outbox_job():
    from .outbox import deliver_outbox

    return deliver_outbox()


def cleanup_sessions(now: datetime | None = None) -> int:
    """Delete sessions that expired or were revoked more than a day ago; returns how many."""
    horizon = (now or utcnow()) - SESSION_RETENTION
    return db.session.execute(
        delete(UserSession)
        .where(or_(UserSession.expires_at < horizon, UserSession.revoked_at < horizon))
        .execution_options(synchronize_session=False)
    ).rowcount


def chain_audit_events() -> int:
    """Link the events requests wrote into the access log's chain (the sequencer takes the head
    row's lock itself, so a second scheduler waits for the first's batch and finds it done)."""
    from ..audit.sequencer import chain_pending

    return chain_pending()


def sign_audit_head():
    """Sign the chain head; one process at a time, so two schedulers do not sign it twice."""
    from ..audit.external import ExternalCheckpointError
    from ..audit.verify import ChainBroken, sign_head

    lease = JobLease("audit_sign")
    try:
        if not lease.hold():
            return None
        try:
            checkpoint = sign_head()
        except (ChainBroken, ExternalCheckpointError) as exc:
            db.session.rollback()
            logger.error("audit signing refused: %s", exc)  # noqa: TRY400 (the reason is the message)
            _record_refused_signing(exc)
            return None
        db.session.commit()
        return checkpoint
    finally:
        lease.release()


def _record_refused_signing(exc: Exception) -> None:
    """Auditors see in the log itself that signing stopped, and why."""
    from ..audit.log import record
    from ..audit.verify import ChainBroken
    from ..models.vocab import AuditOutcome

    details = {"reason": "checkpoint_directory"}
    if isinstance(exc, ChainBroken):
        details = {"reason": exc.result.problem, "event_id": exc.result.first_invalid_event}
    record("audit.sign", outcome=AuditOutcome.FAILURE, object_type="audit_checkpoint", details=details)
    db.session.commit()


#: name -> (function, config setting for its period in seconds, default period).
JOBS: dict[str, tuple[Callable[[], object], str, int]] = {
    "sla_sweep": (sla_sweep_job, "SLA_SWEEP_SECONDS", 60),
    "stay_service_sweep": (stay_sweep_job, "STAY_SWEEP_SECONDS", 3600),
    "task_reminders": (task_reminders_job, "TASK_REMINDER_SECONDS", 300),
    "hot_case_reviews": (hot_case_reviews_job, "HOT_CASE_REVIEW_SECONDS", 900),
    "email_outbox": (email_outbox_job, "OUTBOX_SECONDS", 30),
    "session_cleanup": (cleanup_sessions, "SESSION_CLEANUP_SECONDS", 3600),
    "audit_chain": (chain_audit_events, "AUDIT_CHAIN_SECONDS", 2),
    "audit_sign": (sign_audit_head, "AUDIT_SIGN_SECONDS", 900),
}


def run_job(app: Flask, name: str):
    """Run job ``name`` once, now, in a fresh app context; commits its work, rolls back on error.

    Errors propagate: APScheduler logs them and keeps the schedule going.
    """
    function = JOBS[name][0]
    with app.app_context(), acting_as(SCHEDULER_ACTOR):
        try:
            result = function()
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        # A job that found nothing to do says so quietly (the sequencer runs every few seconds).
        logger.log(logging.INFO if result else logging.DEBUG, "job %s done: %s", name, _summary(result))
        return result


def _summary(result) -> str:
    # Counts and ids only: a job's result never carries survivor data, but keep the log terse.
    if result is None or isinstance(result, int):
        return str(result)
    return type(result).__name__ + "(" + ", ".join(
        f"{k}={v}" for k, v in vars(result).items() if isinstance(v, int | bool)
    ) + ")"


def build_scheduler(app: Flask, *, daemon: bool = True) -> BackgroundScheduler:
    """A scheduler with every job; each first runs right away, then at its period."""
    scheduler = BackgroundScheduler(
        timezone="UTC", daemon=daemon,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
    )
    now = utcnow()
    for name, (_function, setting, default) in JOBS.items():
        seconds = int(app.config.get(setting, default))
        scheduler.add_job(run_job, "interval", seconds=seconds, args=(app, name), id=name, name=name,
                          next_run_time=now)
    return scheduler


def serving_process() -> bool:
    """Whether this process serves requests (so it should run the in-web scheduler).

    Under ``flask run`` with the reloader, the parent process only watches files and restarts its
    child (WERKZEUG_RUN_MAIN="true"), which serves; other ``flask`` commands (db, demo, shell,
    scheduler...) serve nothing. Outside the Flask CLI, a WSGI server imported the app.
    """
    if os.environ.get("FLASK_RUN_FROM_CLI") != "true":
        return True
    context = click.get_current_context(silent=True)
    if context is None or context.command.name != "run":
        return False
    from flask.cli import get_debug_flag

    reload = context.params.get("reload")
    if reload is None:
        reload = get_debug_flag()
    return not reload or os.environ.get("WERKZEUG_RUN_MAIN") == "true"


def start_in_web(app: Flask) -> BackgroundScheduler | None:
    """Start the background scheduler in this process if the install asks for it; never in tests."""
    if not app.config.get("SCHEDULER_IN_WEB") or app.config.get("TESTING") or not serving_process():
        return None
    if EXTENSION_KEY in app.extensions:
        return app.extensions[EXTENSION_KEY]
    scheduler = build_scheduler(app)
    scheduler.start()
    app.extensions[EXTENSION_KEY] = scheduler
    atexit.register(_stop, scheduler)
    logger.info("background scheduler started in the web process (pid %s)", os.getpid())
    return scheduler


def _stop(scheduler: BackgroundScheduler) -> None:
    if scheduler.running:
        scheduler.shutdown(wait=False)


@click.command("scheduler", help="Run the background jobs (SLA sweep, email, cleanup, the audit chain's "
                                "sequencer and signing) until stopped.")
def scheduler_command() -> None:
    app = current_app._get_current_object()
    # A foreground service: say what each job did (counts only), unless logging is set up already.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from ..selfcheck import checked_findings

    findings = checked_findings(app) if app.config["SELF_CHECK"] else []
    if findings:  # sweeping a database without its protections, or with unreadable files, does harm
        raise click.ClickException("refusing to run, the start-up self-check failed: "
                                   + "; ".join(f"{f.reason} ({f.detail})" for f in findings))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # its per-run lines repeat ours
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    scheduler = build_scheduler(app, daemon=False)
    scheduler.start()
    click.echo(f"Masar scheduler running (pid {os.getpid()}); stop with Ctrl-C or SIGTERM.")
    try:
        while not stop.wait(timeout=1):
            pass
    finally:
        scheduler.shutdown(wait=True)
    click.echo("Masar scheduler stopped.")
