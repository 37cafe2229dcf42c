"""The access log: every access and change is written, and a DBA cannot rewrite it unnoticed."""

from __future__ import annotations

import contextlib
import json
import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from referral.audit import deferred
from referral.audit.chain import event_hash, event_seal, legacy_event_hash
from referral.audit.log import flush_staged, record
from referral.audit.verify import sign_head, verify_chain
from referral.extensions import db
from referral.models import AuditEvent, User
from referral.models.vocab import AuditOutcome, ClosureReason, ServiceCategory
from referral.security.keys import app_keys
from referral.services import assessments, cases, consents, notes
from referral.services.erasure import shred_case
from referral.workflows.engine import fire
from tests.factories import (
    IDENTITY,
    PASSWORD,
    as_user,
    chain_all,
    consent_and_refer,
    csrf_token,
    insider_engine,
    keep_chaining,
    login,
    make_case,
    statements,
)


def events(action: str | None = None) -> list[AuditEvent]:
    db.session.expire_all()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return db.session.execute(query).scalars().all()


def as_text(event: AuditEvent) -> str:
    return json.dumps({c.name: str(getattr(event, c.name)) for c in AuditEvent.__table__.columns},
                      ensure_ascii=False)


def tamper(statement, params: dict | list | None = None, *more: tuple[str, dict]) -> None:
    """Raw SQL, as a database administrator would run it (past the append-only trigger)."""
    db.session.commit()
    with insider_engine().begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        for sql, values in ((statement, params), *more):
            conn.execute(text(sql) if isinstance(sql, str) else sql, values or {})
    db.session.expire_all()


@pytest.fixture
def log_of_ten(world):
    with as_user(world.auditor):
        for n in range(10):
            record("test.event", object_type="thing", object_id=n, details={"n": n})
    assert chain_all() == 10


# --- what is written -----------------------------------------------------------------------


def test_login_failures_and_success_are_logged_without_the_password(client, world):
    client.post("/login", data={"username": "cw.a", "password": "wrong-password-1",
                                "csrf_token": csrf_token(client)})
    client.post("/login", data={"username": "cw.a", "password": PASSWORD, "csrf_token": csrf_token(client)})
    client.post("/login/verify", data={"code": "000000", "csrf_token": csrf_token(client, "/login/verify")})
    login(client, world.cw_a)
    failed, second, success = (events(a) for a in ("login.password_failed", "login.second_factor_failed",
                                                   "login.success"))
    assert [e.outcome for e in failed + second] == [AuditOutcome.FAILURE] * 2
    assert failed[0].details["username"] == "cw.a" and failed[0].ip_address
    assert second[0].object_id == str(world.cw_a.id)
    assert success[0].object_id == str(world.cw_a.id) and success[0].outcome == AuditOutcome.SUCCESS
    assert all(PASSWORD not in as_text(e) and "wrong-password-1" not in as_text(e) for e in events())


def test_a_login_is_logged_as_the_user_in_her_new_session(client, world):
    case = make_case(world.cw_a)
    login(client, world.cw_a)
    assert client.get(f"/cases/{case.id}").status_code == 200
    assert events("case.read")[-1].session_ref is not None
    success = events("login.success")[0]
    assert success.actor_user_id == world.cw_a.id and success.actor_agency_id == world.assoc_a.id
    later = [e for e in events() if e.id > success.id and e.actor_user_id == world.cw_a.id]
    assert later and {e.session_ref for e in later} == {success.session_ref}


def test_a_read_logs_field_names_never_values(world):
    case = make_case(world.cw_a)
    consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    with as_user(world.officer_police):
        cases.read_identity(world.officer_police, case, purpose="follow_up")
    read = events("case.read")[-1]
    assert read.fields == ["address", "contact_instructions", "full_name", "phone"]
    assert (read.actor_user_id, read.actor_agency_id, read.purpose) == (
        world.officer_police.id, world.police.id, "follow_up")
    assert read.case_id == case.id
    for event in events():
        assert not [v for v in IDENTITY.values() if v in as_text(event)], event.action


def _changes(world, case):
    cw, officer = world.cw_a, world.officer_police
    police = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    yield "case.update", lambda: cases.update_case(cw, case, {"phone": "0611111111"}, {},
                                                   expected_version=case.version)
    yield "consent.record", lambda: consents.record_consent(cw, case, fields=["name"], agency_id=world.police.id)
    yield "risk.assess", lambda: assessments.assess_risk(cw, case, {"injury": True})
    yield "note.create", lambda: notes.add_note(cw, case, "seen today")
    yield "referral.send", lambda: consent_and_refer(cw, case, police)
    yield "referral.acknowledge", lambda: fire(_referral(case), "acknowledge", officer)
    yield "consent.withdraw", lambda: consents.withdraw_consent(cw, case, _consent(case))
    yield "case.close", lambda: cases.close_case(cw, case, ClosureReason.NEEDS_MET)
    yield "case.reopen", lambda: cases.reopen_case(cw, case, "she came back")
    yield "case.shred", lambda: shred_case(case.case_number)


def _referral(case):
    from referral.models import Referral

    return db.session.execute(select(Referral).where(Referral.case_id == case.id)).scalar_one()


def _consent(case):
    from referral.models import Consent

    return db.session.execute(select(Consent).where(Consent.case_id == case.id)).scalars().first()


def test_every_change_writes_an_event(world):
    case = make_case(world.cw_a)
    assert events("case.create")[0].fields == sorted(IDENTITY)
    for action, change in _changes(world, case):
        before = len(events())
        with as_user(world.officer_police if action == "referral.acknowledge" else world.cw_a):
            change()
        db.session.commit()
        new = [e.action for e in events()[before:]]
        assert action in new, (action, new)
        assert all(e.case_id == case.id for e in events(action))
    assert verify_chain().valid


def test_a_deferred_denial_survives_the_rollback(world):
    with as_user(world.cw_b):
        record("case.read", object_type="case", object_id="work that will be undone")
        deferred.record_after("access.denied", outcome=AuditOutcome.DENIED, details={"answer": "not_found"})
    db.session.rollback()
    deferred.flush()
    assert [(e.action, e.actor_username, e.outcome) for e in events()] == [
        ("access.denied", "cw.b", AuditOutcome.DENIED)]
    assert verify_chain().valid


def test_probing_another_associations_file_is_a_logged_404(client, world):
    case = make_case(world.cw_a)
    login(client, world.cw_b)
    assert client.get(f"/cases/{case.id}").status_code == 404
    denied = events("access.denied")
    assert [(e.actor_user_id, e.case_id, e.details["answer"]) for e in denied] == [
        (world.cw_b.id, case.id, "not_found")]
    assert events("case.read") == []


# --- appended when the transaction commits ----------------------------------------------------


def test_recording_sends_nothing_and_a_commit_writes_any_number_without_the_chain_head(world):
    sent_by_commit = []
    for count in (1, 60):
        db.session.get(User, world.cw_a.id)  # the transaction has begun, as in a request
        with statements() as while_recording, as_user(world.cw_a):
            for n in range(count):
                record("test.event", object_type="thing", object_id=n, details={"n": n})
        with statements() as at_commit:
            db.session.commit()
        assert while_recording == []  # nothing sent while the request goes on
        sent_by_commit.append(at_commit)
    # PostgreSQL: the ids from the sequence, then one INSERT, and no request ever touches the head.
    # SQLite (one writer at a time): its write lock first, then max(id), then the INSERT.
    postgresql = db.engine.dialect.name == "postgresql"
    assert [len(sent) for sent in sent_by_commit] == ([2, 2] if postgresql else [3, 3]), sent_by_commit
    assert postgresql is not any("audit_chain_head" in statement for sent in sent_by_commit for statement in sent)
    logged = events()
    assert [e.details["n"] for e in logged] == [0] + list(range(60))
    assert {(e.actor_user_id, e.object_type) for e in logged} == {(world.cw_a.id, "thing")}
    key = app_keys().audit_chain
    assert all(e.chain_position is None and e.hash is None and e.seal == event_seal(e, key) for e in logged)
    assert verify_chain().checked == 0  # written, sealed, not chained yet
    assert chain_all() == 61
    assert [e.chain_position for e in events()] == list(range(1, 62))  # chained in id order
    assert verify_chain().checked == 61 and verify_chain().valid


def test_a_rolled_back_transaction_leaves_no_event_and_no_gap(world):
    with as_user(world.cw_a):
        record("test.kept", details={"n": 1})
        db.session.commit()
        record("test.undone", details={"n": 2})
        record("test.undone", details={"n": 3})
        flush_staged()  # written and the head moved on, in the transaction rolled back
        record("test.undone", details={"n": 4})
        db.session.rollback()
        record("test.undone", details={"n": 5})
        db.session.close()
        record("test.kept", details={"n": 6})
        db.session.commit()
        record("test.kept", details={"n": 7})
        db.session.commit()
    assert [(e.action, e.details["n"]) for e in events()] == [("test.kept", 1), ("test.kept", 6), ("test.kept", 7)]
    chain_all()
    assert [e.chain_position for e in events()] == [1, 2, 3]  # ids may skip (a sequence), positions never
    assert verify_chain().checked == 3 and verify_chain().valid


def test_a_transaction_reads_the_events_it_recorded(world):
    """The SLA sweep looks for the "case.stalled" events it wrote; auditors see their own reads."""
    with as_user(world.auditor):
        returned = record("test.event", details={"n": 1})
        assert returned.id is None  # staged only
        assert db.session.execute(select(func.count()).where(AuditEvent.action == "test.event")).scalar() == 1
        assert returned.id == 1 and returned.seal == event_seal(returned, app_keys().audit_chain)
        record("test.event", details={"n": 2})
        # The same query again: its shape is remembered as one that reads the log.
        assert db.session.execute(select(func.count()).where(AuditEvent.action == "test.event")).scalar() == 2
        record("test.event", details={"n": 3})
        assert db.session.execute(text("select count(*) from audit_events")).scalar() == 3
        record("test.event", details={"n": 4})
        assert db.session.execute(text("select count(*) from audit_events where chain_position is null")).scalar() == 4
    db.session.rollback()
    assert events() == []
    assert chain_all() == 0 and verify_chain().checked == 0


def test_the_owners_file_page_writes_its_events_only_to_commit(client, world):
    """Her file page lists the emergency reads of her file from the log: that read needs only what
    others committed, so it must not write the page's own events early (on SQLite, taking the
    database's one write lock) while the page renders."""
    case = make_case(world.cw_a)
    login(client, world.cw_a)
    assert client.get(f"/cases/{case.id}").status_code == 200
    with statements() as sent:
        assert client.get(f"/cases/{case.id}").status_code == 200
    writes = [n for n, statement in enumerate(sent)
              if statement.lstrip().upper().startswith("INSERT INTO AUDIT_EVENTS")]
    assert len(writes) == 1, sent  # one INSERT of its events, at commit: after the page's last read
    assert not any(statement.lstrip().upper().startswith("SELECT") for statement in sent[writes[0]:]), sent
    if db.engine.dialect.name == "postgresql":
        assert not any("audit_chain_head" in statement for statement in sent), sent  # only the sequencer's


def test_a_savepoint_rolled_back_discards_only_what_was_recorded_inside_it(world):
    with as_user(world.cw_a):
        record("test.before")
        with contextlib.suppress(ZeroDivisionError), db.session.begin_nested():
            record("test.inside")
            assert len(events()) == 2  # both appended inside the savepoint
            _ = 1 / 0
        record("test.after")
        with db.session.begin_nested():
            record("test.released")
        db.session.commit()
    assert [e.action for e in events()] == ["test.before", "test.after", "test.released"]
    chain_all()
    assert [e.chain_position for e in events()] == [1, 2, 3]
    assert verify_chain().valid


# --- what a DBA cannot do unnoticed -----------------------------------------------------------


def test_a_healthy_log_verifies(log_of_ten):
    result = verify_chain()
    assert (result.valid, result.checked, result.problem) == (True, 10, None)


def test_verifying_leaves_the_callers_objects_usable(world, log_of_ten):
    """The auditor page verifies inside a request: the user and her agency must stay loaded."""
    auditor = world.auditor
    world.cw_a.display_name = "Renamed"
    assert verify_chain().valid
    assert auditor.agency.code == "NETWORK" and world.cw_a in db.session
    db.session.commit()
    db.session.expire_all()
    assert world.cw_a.display_name == "Renamed"


@pytest.mark.parametrize(
    ("statement", "first_invalid", "problem"),
    [
        ("update audit_events set action = 'nothing.happened' where id = 5", 5, "altered"),
        ("update audit_events set details = '{\"n\": 99}' where id = 3", 3, "altered"),
        ("update audit_events set actor_username = 'admin' where id = 7", 7, "altered"),
        ("delete from audit_events where id = 5", 5, "missing"),
        ("delete from audit_events where id >= 9", 9, "truncated"),
        ("update audit_events set prev_hash = :forged where id = 4", 4, "broken_link"),
    ],
    ids=["action", "details", "actor", "deleted", "truncated", "relinked"],
)
def test_tampering_is_reported_at_the_first_invalid_event(log_of_ten, statement, first_invalid, problem):
    tamper(statement, {"forged": "f" * 64})
    result = verify_chain()
    assert (result.valid, result.first_invalid_event, result.problem) == (False, first_invalid, problem)
    assert result.checked == first_invalid - 1


def _rewrite_consistently(from_id: int, rehash=None) -> None:
    """Change an event and recompute every later hash and the head, as an insider would with the
    hash function she has (`rehash`; by default the key's holder's own)."""
    key = app_keys().audit_chain
    rehash = rehash or (lambda row: event_hash(row, key))
    rows = [dict(r) for r in db.session.execute(select(AuditEvent.__table__).order_by(AuditEvent.id)).mappings()]
    prev = rows[from_id - 2]["hash"]
    for row in rows[from_id - 1:]:
        if row["id"] == from_id:
            row["action"] = "nothing.happened"
        row["prev_hash"] = prev
        prev = row["hash"] = rehash(row)
    tamper("update audit_events set action = :action, prev_hash = :prev_hash, hash = :hash where id = :id",
           rows[from_id - 1:], ("update audit_chain_head set last_hash = :head", {"head": prev}))


@pytest.mark.parametrize(
    "rehash",
    [legacy_event_hash, lambda row: event_hash(row, b"a key guessed by the insider, 32+ bytes long")],
    ids=["plain-sha256", "guessed-key"],
)
def test_a_rewrite_with_recomputed_hashes_fails_without_the_key(log_of_ten, rehash):
    _rewrite_consistently(4, rehash)
    result = verify_chain()
    assert (result.valid, result.first_invalid_event, result.problem) == (False, 4, "altered")


def test_an_event_appended_behind_the_apps_back_is_reported(log_of_ten):
    last = dict(db.session.execute(select(AuditEvent.__table__).where(AuditEvent.id == 10)).mappings().one())
    forged = dict(last, id=11, chain_position=11, action="case.read", prev_hash=last["hash"])
    forged["hash"] = event_hash(forged, app_keys().audit_chain)
    tamper(AuditEvent.__table__.insert(), forged)
    result = verify_chain()
    assert (result.valid, result.first_invalid_event, result.problem) == (False, 11, "inserted")


def test_the_hash_covers_every_column(app):
    from referral.audit.chain import HASHED_FIELDS

    assert set(HASHED_FIELDS) == {c.name for c in AuditEvent.__table__.columns} - {"hash", "chain_position", "seal"}


def test_a_staged_event_has_every_column_of_the_log(app):
    """What `record` stages is written column by column: a column added to the model and not to
    the staged event would fail every commit."""
    from dataclasses import fields

    from referral.audit.log import StagedEvent

    assert {f.name for f in fields(StagedEvent)} == {c.key for c in AuditEvent.__table__.columns}


def test_a_rewrite_by_someone_holding_the_key_is_caught_by_a_signed_checkpoint(log_of_ten):
    """Even with the chain key (a stolen app server), history before a signature stays fixed."""
    sign_head()
    db.session.commit()
    _rewrite_consistently(4)
    tamper("delete from audit_checkpoints")  # the database's copy of the signature goes too
    result = verify_chain()
    assert (result.valid, result.first_invalid_event, result.problem) == (False, 10, "checkpoint_mismatch")


def test_a_forged_checkpoint_is_caught(log_of_ten):
    sign_head()
    tamper("update audit_checkpoints set event_hash = :h", {"h": "a" * 64})
    assert verify_chain().problem == "bad_signature"


def test_audit_verify_command_exits_1_and_names_the_event(app, log_of_ten):
    runner = app.test_cli_runner()
    unsigned = runner.invoke(args=["audit", "verify"])
    assert unsigned.exit_code == 0 and "10 events checked, 0 signed checkpoints" in unsigned.output
    assert "Warning: no checkpoint signed" in unsigned.output
    signed = runner.invoke(args=["audit", "sign"])
    assert signed.exit_code == 0 and "Signed event 10" in signed.output
    intact = runner.invoke(args=["audit", "verify"])
    assert "1 signed checkpoints verified" in intact.output and "Warning" not in intact.output
    tamper("update audit_events set outcome = 'success', action = 'x' where id = 6")
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert "BROKEN at event 6 (altered)" in broken.output


# --- PostgreSQL: the trigger and concurrent writers ---------------------------------------------


APP_ROLE_REFUSED = [
    "update audit_events set action = 'x' where id = 1",
    "delete from audit_events where id = 10",
    "truncate audit_events",
    "update audit_checkpoints set event_hash = 'x'",
    "delete from audit_checkpoints",
    "truncate audit_checkpoints",
    "delete from audit_chain_head",
    "truncate audit_chain_head",
    "alter table audit_events disable trigger audit_events_append_only",
    "alter table audit_events disable trigger all",
    "alter table audit_checkpoints disable trigger audit_checkpoints_append_only",
    "drop trigger audit_events_append_only on audit_events",
    "set session_replication_role = replica",
]


@pytest.mark.postgres
@pytest.mark.parametrize("statement", APP_ROLE_REFUSED)
def test_the_apps_role_cannot_rewrite_the_log_nor_switch_its_guard_off(log_of_ten, statement):
    sign_head()
    db.session.commit()
    with pytest.raises(DBAPIError, match="permission denied|must be owner|append-only"), db.engine.begin() as conn:
        conn.execute(text(statement))
    assert len(events()) == 10 and verify_chain().valid and verify_chain().checkpoints == 1


@pytest.mark.postgres
def test_the_chain_head_only_moves_forward(log_of_ten):
    with pytest.raises(DBAPIError, match="only moves forward"), db.engine.begin() as conn:
        conn.execute(text("update audit_chain_head set last_position = 5"))
    assert verify_chain().valid


@pytest.mark.postgres
@pytest.mark.parametrize("statement", ["update audit_events set action = 'x' where id = 1",
                                       "delete from audit_checkpoints", "truncate audit_events",
                                       "delete from audit_chain_head"])
def test_even_the_owner_meets_the_triggers_unless_it_switches_them_off(log_of_ten, statement):
    sign_head()
    db.session.commit()
    with pytest.raises(DBAPIError, match="append-only|only moves forward"), insider_engine().begin() as conn:
        conn.execute(text(statement))
    assert len(events()) == 10 and verify_chain().valid


@pytest.mark.postgres
@pytest.mark.slow
def test_concurrent_writers_keep_the_chain_linear(app, world):
    """Eight writers, each committing 25 transactions of one to three events."""
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(n: int) -> None:
        try:
            with app.app_context():
                start.wait()
                for i in range(25):
                    for j in range(1 + (n + i) % 3):
                        record("test.concurrent", details={"writer": n, "i": i, "j": j})
                    db.session.commit()
        except BaseException as exc:  # noqa: BLE001  (re-raised in the test thread)
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    chain_all()
    logged = sorted(events(), key=lambda e: e.chain_position)
    total = sum(1 + (n + i) % 3 for n in range(8) for i in range(25))
    assert [e.chain_position for e in logged] == list(range(1, total + 1))
    # Each transaction's events are chained in the order they were recorded, transactions in the
    # order each writer committed them.
    by_transaction: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for e in logged:
        by_transaction.setdefault((e.details["writer"], e.details["i"]), []).append((e.chain_position, e.details["j"]))
    for (n, i), chained in by_transaction.items():
        assert [j for _, j in chained] == list(range(1 + (n + i) % 3)), (n, i, chained)
    for n in range(8):
        firsts = [by_transaction[(n, i)][0][0] for i in range(25)]
        assert firsts == sorted(firsts)
    assert verify_chain().valid and verify_chain().checked == total


@pytest.mark.postgres
@pytest.mark.slow
def test_open_transactions_do_not_queue_on_the_log_until_they_commit(app, world):
    """A request that has recorded its read and is still rendering does not hold up the next one."""
    first_recorded, second_committed = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    waited: list[bool] = []

    def first() -> None:
        try:
            with app.app_context():
                with as_user(world.cw_a):
                    record("test.first", details={"n": 1})
                    record("test.first", details={"n": 2})
                db.session.execute(select(User.id)).all()  # an open transaction, doing slow work
                first_recorded.set()
                waited.append(second_committed.wait(timeout=5))
                db.session.commit()
        except BaseException as exc:  # noqa: BLE001  (re-raised in the test thread)
            errors.append(exc)
            first_recorded.set()

    def second() -> None:
        try:
            with app.app_context():
                first_recorded.wait(timeout=5)
                with as_user(world.cw_b):
                    record("test.second", details={"n": 1})
                    record("test.second", details={"n": 2})
                db.session.execute(select(User.id)).all()
                db.session.commit()
                second_committed.set()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and waited == [True]  # the second committed while the first was still open
    assert [(e.id, e.action, e.actor_username) for e in events()] == [
        (1, "test.second", "cw.b"), (2, "test.second", "cw.b"), (3, "test.first", "cw.a"), (4, "test.first", "cw.a")]
    chain_all()
    assert verify_chain().valid and verify_chain().checked == 4


@pytest.mark.postgres
@pytest.mark.slow
def test_verifying_while_others_write_never_reports_a_broken_chain(app, world):
    """The auditor's check runs while requests keep committing events and the sequencer keeps
    chaining them: it must not mistake a batch that lands between its reads for a cut or an
    insertion."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            with app.app_context():
                while not stop.is_set():
                    for n in range(3):
                        record("test.busy", details={"n": n})
                    db.session.commit()
        except BaseException as exc:  # noqa: BLE001  (re-raised in the test thread)
            errors.append(exc)

    threads = [threading.Thread(target=writer), threading.Thread(target=keep_chaining, args=(app, stop, errors))]
    for thread in threads:
        thread.start()
    try:
        results = []
        for _ in range(30):
            results.append(verify_chain())
            db.session.rollback()
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []
    assert [r for r in results if not r.valid] == []
    assert results[-1].checked > results[0].checked  # the writer did commit in between
