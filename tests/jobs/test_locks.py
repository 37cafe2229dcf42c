"""One sweep at a time across processes, and the scheduler that runs the jobs.

The exactly-once tests start real OS processes that race through the sweep and the outbox on the
test database, with a real SMTP server listening in this process.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import click
import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select, update

from referral.audit.verify import verify_chain
from referral.extensions import db
from referral.jobs import register, scheduler
from referral.jobs.locks import ADVISORY_KEYS, LEASE, JobLease
from referral.jobs.sweep import run_sla_sweep
from referral.models import (
    AuditCheckpoint,
    AuditEvent,
    Breach,
    Escalation,
    JobLock,
    Notification,
    OutboxEmail,
    SlaTimer,
    UserSession,
)
from referral.models.base import utcnow
from referral.models.vocab import ServiceCategory
from tests.clock import child_environment
from tests.factories import consent_and_refer, make_case
from tests.jobs.test_outbox import SmtpSink

ROOT = Path(__file__).resolve().parents[2]


def overdue_referrals(world, count: int, *, days_ago: int = 20):
    """Referrals sent long ago: every SLA timer is past due now, and their files are stalled."""
    at = utcnow() - timedelta(days=days_ago)
    service = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    return [consent_and_refer(world.cw_a, make_case(world.cw_a), service, at=at) for _ in range(count)]


def is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


# --- the lock ------------------------------------------------------------------------------


def test_the_sweep_skips_while_another_process_holds_it(world):
    overdue_referrals(world, 1)
    with db.engine.connect() as other:
        if is_postgresql():
            other.execute(select(func.pg_try_advisory_xact_lock(ADVISORY_KEYS["sla_sweep"])))
        else:
            # Another node's sweep, started a moment ago, whose lease is still live.
            other.execute(JobLock.__table__.insert().values(name="sla_sweep", holder="other-node:42",
                                                            last_started_at=utcnow()))
            other.commit()
        report = run_sla_sweep()
        assert report.skipped and report.breaches == 0
        assert db.session.execute(select(func.count()).select_from(Breach)).scalar() == 0
        if is_postgresql():
            other.rollback()  # the other sweep ends
        else:
            other.execute(JobLock.__table__.update().values(holder=None))
            other.commit()
    report = run_sla_sweep()
    assert not report.skipped and report.breaches == 3


def test_a_lease_left_by_a_dead_process_expires(world):
    overdue_referrals(world, 1)
    db.session.add(JobLock(name="sla_sweep", holder="crashed-node:7", last_started_at=utcnow() - LEASE - timedelta(
        seconds=1)))
    db.session.commit()
    report = run_sla_sweep()
    assert not report.skipped and report.breaches == 3


def test_the_lock_row_tells_operators_when_the_sweep_last_ran(world):
    before = utcnow()
    run_sla_sweep()
    row = db.session.get(JobLock, "sla_sweep")
    db.session.refresh(row)
    assert row.holder is None  # released
    assert before <= row.last_started_at <= row.last_finished_at <= utcnow()


def test_a_lease_is_one_holder_at_a_time_until_released():
    first, second = JobLease("email_outbox"), JobLease("email_outbox")
    assert first.hold()
    db.session.commit()
    if is_postgresql():
        # The advisory lock lives as long as the transaction: after the commit anyone may take it.
        assert second.hold()
    else:
        assert not second.hold()
        db.session.rollback()
        first.release()
        assert second.hold()
    db.session.commit()
    second.release()


def test_unknown_jobs_have_no_lock():
    with pytest.raises(ValueError, match="unknown job"):
        JobLease("make_coffee")


# --- exactly once with two processes -------------------------------------------------------

SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from tests.clock import follow_parent_clock
    follow_parent_clock()  # the test's clock, not the real one
    from referral import create_app
    from referral.jobs.scheduler import run_job

    url, smtp_port, iterations = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    app = create_app("test", {{
        "SQLALCHEMY_DATABASE_URI": url, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port,
        "SLA_SWEEP_BATCH": 4, "SLA_ESCALATE_AFTER_MINUTES": 0,
    }})
    print("ready", flush=True)
    sys.stdin.readline()  # both processes start together
    for _ in range(iterations):
        sweep = run_job(app, "sla_sweep")
        mail = run_job(app, "email_outbox")
        print("sweep", sweep.breaches, sweep.escalations, sweep.stalled, sweep.skipped, "mail", mail.sent,
              flush=True)
""")


def _race(tmp_path, app, sink_port: int, processes: int = 2, iterations: int = 4) -> list[str]:
    script = tmp_path / "scheduler_race.py"
    script.write_text(SCRIPT.format(root=str(ROOT)))
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    procs = [subprocess.Popen([sys.executable, str(script), url, str(sink_port), str(iterations)],  # noqa: S603
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=str(ROOT), env=child_environment())
             for _ in range(processes)]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outputs = [proc.communicate(timeout=180) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    return [out for out, _ in outputs]


def _assert_each_breach_recorded_and_told_once(world, referrals, sink):
    db.session.expire_all()
    timers = db.session.execute(select(SlaTimer.id).where(SlaTimer.referral_id.in_([r.id for r in referrals])))
    timer_ids = sorted(timers.scalars())
    assert len(timer_ids) == 3 * len(referrals)
    # One Breach per timer, and one audit event per breach and per escalation.
    assert sorted(db.session.execute(select(Breach.timer_id)).scalars()) == timer_ids
    actions = Counter(db.session.execute(select(AuditEvent.action)).scalars())
    assert actions["sla.breach"] == len(timer_ids) == actions["sla.escalation"]
    assert actions["case.stalled"] == len(referrals)
    # Every (person, referral, timer) breach notice once; every escalation once per coordinator.
    told = Counter()
    by_reference = {r.reference: r.id for r in referrals}
    for user_id, referral_id, kind, params in db.session.execute(
            select(Notification.user_id, Notification.referral_id, Notification.kind, Notification.params)):
        if kind.endswith("_digest"):  # several referrals of one batch, told at once
            assert params["count"] == len(params["details"])  # none left unnamed here
            for reference, details in params["details"].items():
                for timer in details["timers"]:
                    told[(user_id, by_reference[reference], kind.removesuffix("_digest"), timer)] += 1
            continue
        for timer in params.get("timers", [params["reference"]]):  # a stalled file: its number
            told[(user_id, referral_id, kind, timer)] += 1
    assert set(told.values()) == {1}, [k for k, v in told.items() if v > 1]
    breach_people = {world.officer_police.id, world.cw_a.id}
    for referral in referrals:
        for timer in ("acknowledge", "decide", "first_action"):
            assert {u for (u, r, k, t) in told if r == referral.id and k == "referral.breach" and t == timer} \
                == breach_people
            assert {u for (u, r, k, t) in told if r == referral.id and k == "referral.escalation" and t == timer} \
                == {world.coordinator.id}
    escalated = Counter(db.session.execute(select(Escalation.breach_id, Escalation.notified_user_id)).all())
    assert set(escalated.values()) == {1} and len(escalated) == len(timer_ids)
    # Every email sent, each exactly once.
    emails = db.session.execute(select(OutboxEmail.id, OutboxEmail.sent_at)).all()
    assert emails and all(sent_at is not None for _, sent_at in emails)
    ids = Counter(m["message-id"] for m in sink.messages())
    assert set(ids.values()) == {1}
    assert sorted(ids) == sorted(f"<masar.outbox-{i}@localhost>" for i, _ in emails)


def _two_processes_breach_once(world, app, tmp_path, overdue: int) -> None:
    """Two scheduler processes race over `overdue` overdue referrals (three timers each)."""
    referrals = overdue_referrals(world, overdue)
    sink = SmtpSink().start()
    try:
        outputs = _race(tmp_path, app, sink.port)
    finally:
        sink.stop()
    _assert_each_breach_recorded_and_told_once(world, referrals, sink)
    assert sum(int(line.split()[1]) for out in outputs for line in out.splitlines()) == 3 * overdue, outputs


@pytest.mark.slow
@pytest.mark.postgres
def test_two_scheduler_processes_on_postgresql_record_and_notify_each_breach_once(world, app, tmp_path):
    assert is_postgresql()
    _two_processes_breach_once(world, app, tmp_path, 10)


@pytest.mark.slow
def test_two_scheduler_processes_on_sqlite_record_and_notify_each_breach_once(world, app, tmp_path):
    if is_postgresql():
        pytest.skip("the PostgreSQL variant above runs instead")
    _two_processes_breach_once(world, app, tmp_path, 6)


# --- the scheduler -------------------------------------------------------------------------


def test_the_scheduler_runs_its_jobs_at_their_periods(app, monkeypatch):
    monkeypatch.setitem(app.config, "SLA_SWEEP_SECONDS", 120)
    sched = scheduler.build_scheduler(app)
    sched.start(paused=True)  # applies the job defaults; paused: nothing runs
    try:
        jobs = sched.get_jobs()
    finally:
        sched.shutdown(wait=False)
    periods = {job.id: job.trigger.interval for job in jobs}
    assert periods == {"sla_sweep": timedelta(minutes=2), "email_outbox": timedelta(seconds=30),
                       "session_cleanup": timedelta(hours=1), "audit_sign": timedelta(minutes=15),
                       "stay_service_sweep": timedelta(hours=1), "task_reminders": timedelta(minutes=5),
                       "hot_case_reviews": timedelta(minutes=15), "audit_chain": timedelta(seconds=2)}
    # A slow run is never doubled inside one process; missed runs collapse into one.
    assert all(job.max_instances == 1 and job.coalesce for job in jobs)


def test_a_job_commits_its_work_in_its_own_app_context(world, app):
    overdue_referrals(world, 1)
    report = scheduler.run_job(app, "sla_sweep")
    assert report.breaches == 3
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Breach)).scalar() == 3
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "sla.breach")).scalars().first()
    assert event.actor_username == "scheduler"


def test_a_failing_job_rolls_back_and_reports_the_error(world, app, monkeypatch):
    def broken():
        db.session.execute(update(JobLock).values(holder="half-done"))
        db.session.add(JobLock(name="half-done"))
        raise RuntimeError("mail server exploded")

    monkeypatch.setitem(scheduler.JOBS, "email_outbox", (broken, "OUTBOX_SECONDS", 30))
    with pytest.raises(RuntimeError, match="exploded"):
        scheduler.run_job(app, "email_outbox")
    assert db.session.get(JobLock, "half-done") is None


def test_session_cleanup_deletes_what_ended_more_than_a_day_ago(world):
    now = utcnow()

    def session(token, *, expires, revoked=None):
        db.session.add(UserSession(token_hash=token * 64, user_id=world.cw_a.id, expires_at=now + expires,
                                   revoked_at=now + revoked if revoked is not None else None))

    session("a", expires=timedelta(days=-2))  # expired two days ago: deleted
    session("b", expires=timedelta(hours=-3))  # expired a moment ago: kept a little longer
    session("c", expires=timedelta(hours=5), revoked=timedelta(days=-2))  # revoked two days ago: deleted
    session("d", expires=timedelta(hours=5), revoked=timedelta(hours=-1))
    session("e", expires=timedelta(hours=5))  # live
    db.session.commit()
    assert scheduler.cleanup_sessions(now) == 2
    db.session.commit()
    left = db.session.execute(select(UserSession.token_hash)).scalars()
    assert sorted(t[0] for t in left) == ["b", "d", "e"]


def test_the_audit_head_is_signed_once_per_new_head(world, app):
    assert scheduler.run_job(app, "audit_sign") is None  # an empty log: nothing to sign
    overdue_referrals(world, 1)
    scheduler.run_job(app, "audit_sign")
    scheduler.run_job(app, "audit_sign")
    checkpoints = db.session.execute(select(AuditCheckpoint)).scalars().all()
    assert len(checkpoints) == 1
    assert checkpoints[0].event_id == db.session.execute(select(func.max(AuditEvent.chain_position))).scalar()
    overdue_referrals(world, 1)
    scheduler.run_job(app, "audit_sign")
    assert db.session.execute(select(func.count()).select_from(AuditCheckpoint)).scalar() == 2
    assert verify_chain().valid


# --- where the scheduler runs --------------------------------------------------------------


@pytest.mark.parametrize(("from_cli", "command", "reload", "run_main", "expected"), [
    (False, None, None, None, True),  # gunicorn / uwsgi imported wsgi:app
    (True, None, None, None, False),  # the Flask CLI, loading the app outside any command
    (True, "db", None, None, False),  # flask db upgrade, flask demo...: nothing to serve
    (True, "scheduler", None, None, False),  # the scheduler command runs its own scheduler
    (True, "run", False, None, True),  # flask run without the reloader
    (True, "run", True, None, False),  # flask run --reload: the parent only watches files
    (True, "run", True, "true", True),  # ...and its child serves
])
def test_the_web_scheduler_starts_only_in_a_serving_process(monkeypatch, from_cli, command, reload, run_main,
                                                              expected):
    for name, value in (("FLASK_RUN_FROM_CLI", "true" if from_cli else None), ("WERKZEUG_RUN_MAIN", run_main)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    if command is None:
        assert scheduler.serving_process() is expected
        return
    ctx = click.Context(click.Command(command))
    ctx.params["reload"] = reload
    with ctx:
        assert scheduler.serving_process() is expected


def test_the_web_scheduler_never_starts_in_tests_or_when_not_asked(app, monkeypatch):
    monkeypatch.setitem(app.config, "SCHEDULER_IN_WEB", True)
    assert scheduler.start_in_web(app) is None  # TESTING
    monkeypatch.setitem(app.config, "TESTING", False)
    monkeypatch.setitem(app.config, "SCHEDULER_IN_WEB", False)
    assert scheduler.start_in_web(app) is None


def test_the_web_scheduler_starts_once_per_process(app, monkeypatch):
    started = []

    def fake_build(app_):
        sched = BackgroundScheduler(timezone="UTC")
        started.append(sched)
        return sched

    monkeypatch.setitem(app.config, "SCHEDULER_IN_WEB", True)
    monkeypatch.setitem(app.config, "TESTING", False)
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    monkeypatch.setattr(scheduler, "build_scheduler", fake_build)
    monkeypatch.delitem(app.extensions, scheduler.EXTENSION_KEY, raising=False)
    try:
        first = scheduler.start_in_web(app)
        assert first is not None and first.running
        assert scheduler.start_in_web(app) is first and len(started) == 1
    finally:
        for sched in started:
            sched.shutdown(wait=False)
        app.extensions.pop(scheduler.EXTENSION_KEY, None)


def test_register_adds_the_scheduler_command(app):
    register(app)
    assert "scheduler" in app.cli.commands
    assert scheduler.EXTENSION_KEY not in app.extensions  # tests never start it


@pytest.mark.slow
def test_the_scheduler_command_runs_the_jobs_until_sigterm(world, app, tmp_path):
    overdue_referrals(world, 1)
    (tmp_path / "sched_app.py").write_text(textwrap.dedent(f"""
        from tests.clock import follow_parent_clock
        follow_parent_clock()  # the test's clock, not the real one
        from referral import create_app
        from referral.jobs import register

        app = create_app("test", {{"SQLALCHEMY_DATABASE_URI": {app.config['SQLALCHEMY_DATABASE_URI']!r},
                                   "MAIL_PORT": 9}})
        if "scheduler" not in app.cli.commands:
            register(app)
    """))
    env = child_environment(dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}"))
    flask = Path(sys.executable).with_name("flask")
    proc = subprocess.Popen([str(flask), "--app", "sched_app:app", "scheduler"], cwd=str(ROOT), env=env,  # noqa: S603
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    seen = []
    try:
        while not any("job sla_sweep done" in line for line in seen):
            seen.append(lines.get(timeout=60))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, "".join(seen)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
    while not lines.empty():
        seen.append(lines.get())
    output = "".join(seen)
    assert "Masar scheduler running" in output and "Masar scheduler stopped." in output
    assert "breaches=3" in output
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Breach)).scalar() == 3
