"""A scheduler killed (SIGKILL) in the middle of a sweep batch, for real: a second run picks up where it
stopped, within one lease, and every breach, notice, escalation and email exists exactly once. What
the killed process had written in its open transaction is gone, not half there."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from referral.extensions import db
from referral.jobs.locks import LEASE
from referral.jobs.scheduler import run_job
from referral.models import Breach
from tests.clock import child_environment
from tests.jobs.test_locks import ROOT, _assert_each_breach_recorded_and_told_once, overdue_referrals
from tests.jobs.test_outbox import SmtpSink

pytestmark = pytest.mark.slow

#: Sweeps in batches of four, and stops for good inside its second breach batch, after the batch's
#: breaches and notices are written and before its commit: the parent kills it there.
KILLED_MID_BATCH = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from tests.clock import follow_parent_clock
    follow_parent_clock()
    from referral import create_app
    from referral.jobs import sweep
    from referral.jobs.scheduler import run_job

    app = create_app("test", {{"SQLALCHEMY_DATABASE_URI": sys.argv[1], "MAIL_PORT": 9,
                               "SLA_SWEEP_BATCH": 4, "SLA_ESCALATE_AFTER_MINUTES": 0}})
    batches = []
    first_breaches = sweep.daily_stats.first_breaches

    def stop_in_the_second_batch(*args):
        first_breaches(*args)
        batches.append(1)
        if len(batches) == 2:
            print("inside the second batch", flush=True)
            time.sleep(600)

    sweep.daily_stats.first_breaches = stop_in_the_second_batch
    run_job(app, "sla_sweep")
""")


def _kill_mid_batch(tmp_path, app) -> None:
    script = tmp_path / "killed_scheduler.py"
    script.write_text(KILLED_MID_BATCH.format(root=str(ROOT)))
    proc = subprocess.Popen([sys.executable, str(script), app.config["SQLALCHEMY_DATABASE_URI"]],  # noqa: S603
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(ROOT),
                            env=child_environment(dict(os.environ)))
    try:
        line = proc.stdout.readline()
        assert line.strip() == "inside the second batch", proc.stderr.read() if proc.poll() is not None else line
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()


def test_a_scheduler_killed_inside_a_batch_loses_nothing_and_repeats_nothing(world, app, tmp_path, clock,
                                                                            monkeypatch):
    referrals = overdue_referrals(world, 3)  # nine timers: batches of 4, 4 and 1
    db.session.commit()
    _kill_mid_batch(tmp_path, app)

    db.session.expire_all()
    # The first batch was committed; the second died with its transaction: nothing of it is left.
    assert db.session.execute(select(func.count()).select_from(Breach)).scalar() == 4

    # The next sweep, one lease later (a SQLite lease row is left behind by the killed process; on
    # PostgreSQL its advisory lock ended with its connection), finishes the work once.
    clock.shift(LEASE + timedelta(seconds=1))
    monkeypatch.setitem(app.config, "SLA_ESCALATE_AFTER_MINUTES", 0)
    sink = SmtpSink().start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", sink.port)
    try:
        report = run_job(app, "sla_sweep")
        assert not report.skipped and report.breaches == 5
        run_job(app, "email_outbox")
    finally:
        sink.stop()
    _assert_each_breach_recorded_and_told_once(world, referrals, sink)
