"""A database insider against the access log: cutting its tail, removing its checkpoints, rebuilding
it, and what the checkpoints kept outside the database (MASAR_AUDIT_CHECKPOINT_DIR) show of it."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import select

from referral.audit import verify as verify_module
from referral.audit.external import ExternalCheckpointError
from referral.audit.log import record
from referral.audit.verify import ChainBroken, sign_head, verify_chain
from referral.extensions import db
from referral.models import AuditCheckpoint, AuditEvent
from referral.models.base import utcnow
from referral.models.vocab import AuditOutcome
from tests.factories import as_user, chain_all, csrf_token, insider_sql, login


def write_events(user, count: int) -> None:
    with as_user(user):
        for n in range(count):
            record("test.event", object_type="thing", object_id=n, details={"n": n})
    chain_all()


def sign() -> AuditCheckpoint:
    checkpoint = sign_head()
    db.session.commit()
    return checkpoint


def tamper(*statements: str, **params) -> None:
    db.session.commit()
    insider_sql(*statements, **params)
    db.session.expire_all()


def cut_tail(from_id: int, *, checkpoints_too: bool) -> None:
    """Delete events from `from_id` on and set the head back, so the database alone looks whole."""
    kept = db.session.execute(select(AuditEvent.hash).where(AuditEvent.id == from_id - 1)).scalar_one()
    statements = ["delete from audit_events where id >= :cut",
                  "update audit_chain_head set last_position = :last, last_hash = :hash"]
    if checkpoints_too:
        statements.append("delete from audit_checkpoints where event_id >= :cut")
    tamper(*statements, cut=from_id, last=from_id - 1, hash=kept)


def outside_files() -> list[Path]:
    return sorted(Path(current_app.config["AUDIT_CHECKPOINT_DIR"]).glob("checkpoint-*.json"))


def problem(result) -> tuple:
    return result.valid, result.first_invalid_event, result.problem


@pytest.fixture
def signed_log(world):
    """Ten events, signed at event 10 (in the database and outside it), then five more."""
    write_events(world.auditor, 10)
    assert sign().event_id == 10
    write_events(world.auditor, 5)
    return world


# --- the tail --------------------------------------------------------------------------------------


def test_a_signed_log_verifies_against_its_outside_copy(signed_log):
    result = verify_chain()
    assert (result.valid, result.checked, result.checkpoints, result.external_checkpoints) == (True, 15, 1, 1)
    assert result.findings == ()
    [path] = outside_files()
    assert path.name.startswith("checkpoint-000000000000010-")
    assert not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)  # written once, read-only


@pytest.mark.parametrize("checkpoints_too", [False, True], ids=["checkpoints-kept", "checkpoints-deleted"])
def test_a_tail_cut_across_a_signed_point_is_reported(signed_log, checkpoints_too):
    cut_tail(8, checkpoints_too=checkpoints_too)
    assert problem(verify_chain()) == (False, 8, "truncated")


def test_a_checkpoint_removed_from_the_database_is_reported(signed_log):
    tamper("delete from audit_checkpoints")
    assert problem(verify_chain()) == (False, 10, "checkpoint_missing")


def test_without_an_outside_copy_the_same_cut_goes_unseen_and_that_is_said(signed_log, monkeypatch):
    """Why the deployment must configure the directory: the database alone cannot tell."""
    monkeypatch.setitem(current_app.config, "AUDIT_CHECKPOINT_DIR", None)
    cut_tail(8, checkpoints_too=True)
    result = verify_chain()
    assert result.valid and [f.kind for f in result.findings] == ["no_external_checkpoint"]


def test_the_unsigned_tail_is_reported_once_it_waited_longer_than_the_signing_interval(signed_log):
    interval = current_app.config["AUDIT_SIGN_SECONDS"]
    assert verify_chain(now=utcnow() + timedelta(seconds=interval)).findings == ()
    late = verify_chain(now=utcnow() + timedelta(seconds=3 * interval))
    assert late.valid
    [finding] = late.findings
    assert (finding.kind, finding.from_event, finding.to_event) == ("unsigned_tail", 11, 15)
    assert finding.minutes >= 3 * interval // 60


def test_a_gap_between_two_signatures_is_reported(signed_log, monkeypatch):
    interval = current_app.config["AUDIT_SIGN_SECONDS"]
    later = utcnow() + timedelta(seconds=5 * interval)
    monkeypatch.setattr(verify_module, "utcnow", lambda: later)  # the signer stopped for five intervals
    assert sign().event_id == 15
    result = verify_chain(now=later)
    assert result.valid and result.external_checkpoints == 2
    [finding] = result.findings
    assert (finding.kind, finding.from_event, finding.to_event) == ("signing_gap", 11, 15)


# --- rewriting and forging -------------------------------------------------------------------------


def test_a_rewrite_before_the_signed_point_is_reported_even_with_the_databases_copy_gone(signed_log):
    tamper("update audit_events set action = 'nothing.happened' where id = 4", "delete from audit_checkpoints")
    assert problem(verify_chain()) == (False, 4, "altered")


def test_an_outside_checkpoint_forged_or_garbled_is_reported(signed_log):
    [path] = outside_files()
    os.chmod(path, 0o644)
    path.write_text(path.read_text().replace('"event_id": 10', '"event_id": 12'))
    assert problem(verify_chain()) == (False, 12, "bad_signature")
    path.write_text("not a checkpoint")
    assert problem(verify_chain()) == (False, None, "external_unreadable")


# --- signing ---------------------------------------------------------------------------------------


def test_signing_refuses_a_chain_broken_since_the_last_checkpoint(signed_log):
    tamper("update audit_events set action = 'nothing.happened' where id = 13")
    with pytest.raises(ChainBroken) as refused:
        sign_head()
    db.session.rollback()
    assert problem(refused.value.result) == (False, 13, "altered")
    assert [c.event_id for c in db.session.execute(select(AuditCheckpoint)).scalars()] == [10]
    assert len(outside_files()) == 1


def test_signing_refuses_a_tail_cut_below_the_last_outside_checkpoint(signed_log):
    cut_tail(8, checkpoints_too=True)
    write_events(signed_log.auditor, 5)  # the app writes on: ids 8.. again, a new tail
    with pytest.raises(ChainBroken) as refused:
        sign_head()
    assert refused.value.result.problem == "checkpoint_mismatch"
    db.session.rollback()
    assert db.session.execute(select(AuditCheckpoint)).first() is None and len(outside_files()) == 1


def test_signing_refuses_when_the_outside_copy_cannot_be_written(signed_log, tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    monkeypatch.setitem(current_app.config, "AUDIT_CHECKPOINT_DIR", str(blocked))
    with pytest.raises(ExternalCheckpointError):
        sign_head()
    db.session.rollback()
    assert [c.event_id for c in db.session.execute(select(AuditCheckpoint)).scalars()] == [10]


def test_audit_sign_command_refuses_a_broken_chain_and_signs_nothing(app, signed_log):
    tamper("delete from audit_events where id = 12")
    result = app.test_cli_runner().invoke(args=["audit", "sign"])
    assert result.exit_code == 1
    assert "audit sign refused: the access log is broken at event 12 (missing); nothing was signed." in result.output
    assert len(outside_files()) == 1
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "audit.sign")).first() is None


def test_audit_verify_command_names_the_cut_tail_and_the_unsigned_time(app, signed_log):
    runner = app.test_cli_runner()
    intact = runner.invoke(args=["audit", "verify"])
    assert intact.exit_code == 0
    assert "15 events checked, 1 signed checkpoints verified, 1 of them also outside the database." in intact.output
    cut_tail(8, checkpoints_too=True)
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1 and "BROKEN at event 8 (truncated)" in broken.output


# --- the auditor's page ----------------------------------------------------------------------------


def as_auditor(client, world):
    login(client, world.auditor)
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client, "/")})


def test_the_auditor_sees_the_outside_checkpoint_and_the_public_key(client, signed_log):
    from referral.security.keys import app_keys

    as_auditor(client, signed_log)
    page = client.get("/audit/verify").get_data(as_text=True)
    assert "The log is intact" in page and "Checkpoints kept outside the database" in page
    assert outside_files()[0].name in page
    assert app_keys().audit_key_fingerprint() in page
    cut_tail(8, checkpoints_too=True)
    page = client.get("/audit/verify").get_data(as_text=True)
    assert "The log was altered" in page and ">#8</span>" in page
    assert "The most recent events were removed" in page


def test_a_refused_signing_changes_nothing_and_is_logged(client, signed_log):
    as_auditor(client, signed_log)
    tamper("update audit_events set details = '{}' where id = 14")
    response = client.post("/audit/verify/sign", data={"csrf_token": csrf_token(client, "/audit/verify")},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "The log was not signed: it does not verify since its last checkpoint (event 14)." in page
    assert [c.event_id for c in db.session.execute(select(AuditCheckpoint)).scalars()] == [10]
    assert len(outside_files()) == 1
    failed = db.session.execute(select(AuditEvent).where(AuditEvent.action == "audit.sign")).scalar_one()
    assert failed.outcome == AuditOutcome.FAILURE and failed.details == {"reason": "altered", "event_id": 14}
    assert failed.actor_user_id == signed_log.auditor.id


@pytest.mark.postgres
def test_verify_warns_when_the_app_runs_as_the_tables_owner(owner_app, signed_log):
    sign()
    with owner_app.app_context():  # a deployment that did not split the roles
        kinds = [finding.kind for finding in verify_chain().findings]
        db.engine.dispose()
    assert kinds == ["app_role_can_rewrite"]
    assert verify_chain().findings == ()  # the app's own role, as the suite runs it


def test_the_scheduled_signing_refuses_a_broken_chain_and_says_so_in_the_log(signed_log):
    from referral.jobs.scheduler import sign_audit_head

    tamper("update audit_events set actor_username = 'admin' where id = 12")
    assert sign_audit_head() is None
    assert [c.event_id for c in db.session.execute(select(AuditCheckpoint)).scalars()] == [10]
    assert len(outside_files()) == 1
    failed = db.session.execute(select(AuditEvent).where(AuditEvent.action == "audit.sign")).scalar_one()
    assert failed.outcome == AuditOutcome.FAILURE and failed.details == {"reason": "altered", "event_id": 12}
    assert problem(verify_chain()) == (False, 12, "altered")  # still reported, not hidden by the new event


def test_two_signers_of_one_head_share_its_outside_file(signed_log):
    """The auditor's button and the scheduler may sign the same head at once: both succeed."""
    from referral.audit import external

    head = sign()
    duplicate = external.ExternalCheckpoint(head.event_id, head.event_hash, utcnow() + timedelta(seconds=1),
                                            head.key_fingerprint, head.signature,
                                            external.file_name(head.event_id, head.key_fingerprint))
    assert external.write(duplicate) == outside_files()[-1]
    forged = external.ExternalCheckpoint(head.event_id, "f" * 64, utcnow(), head.key_fingerprint, head.signature,
                                         duplicate.name)
    with pytest.raises(ExternalCheckpointError, match="already exists"):
        external.write(forged)
