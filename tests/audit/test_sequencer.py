"""The sequencer links what requests wrote into the chain: only what a key holder sealed, once, in
order, however many requests and sequencers run at once (issue 16, part 4)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from referral.audit.chain import event_seal
from referral.audit.log import flush_staged, record
from referral.audit.sequencer import chain_pending, waiting
from referral.audit.verify import sign_head, verify_chain
from referral.extensions import db
from referral.jobs.scheduler import run_job
from referral.models import AuditChainHead, AuditEvent
from referral.security.keys import app_keys
from tests.factories import as_user, chain_all, csrf_token, insider_engine, keep_chaining, login, statements

_EVENTS = AuditEvent.__table__


def rows() -> list[dict]:
    db.session.expire_all()
    return [dict(r) for r in db.session.execute(select(_EVENTS).order_by(_EVENTS.c.id)).mappings()]


def write(user, count: int, action: str = "test.event") -> None:
    with as_user(user):
        for n in range(count):
            record(action, object_type="thing", object_id=n, details={"n": n})
    db.session.commit()


def insert_behind_the_apps_back(**changes) -> int:
    """A copy of the last event as a new waiting row, as someone writing to the database directly."""
    last = rows()[-1]
    forged = dict(last, id=last["id"] + 100, action="case.read", chain_position=None, prev_hash=None, hash=None)
    forged.update(changes)
    db.session.commit()
    with insider_engine().begin() as conn:
        conn.execute(_EVENTS.insert(), forged)
    return forged["id"]


def test_the_sequencer_chains_what_waits_in_id_order_and_moves_the_head(world):
    write(world.cw_a, 3)
    assert waiting().count == 3 and verify_chain().checked == 0
    assert chain_pending(limit=2) == 2
    db.session.commit()
    assert [r["chain_position"] for r in rows()] == [1, 2, None]
    assert chain_all() == 1 and chain_all() == 0
    chained = rows()
    assert [r["chain_position"] for r in chained] == [1, 2, 3]
    assert chained[0]["prev_hash"] == "0" * 64
    assert [r["prev_hash"] for r in chained[1:]] == [r["hash"] for r in chained[:-1]]
    head = db.session.get(AuditChainHead, 1)
    assert (head.last_position, head.last_hash) == (3, chained[-1]["hash"])
    assert verify_chain().valid and verify_chain().checked == 3 and waiting().count == 0


def test_the_scheduler_job_chains_and_says_how_many(app, world):
    write(world.cw_a, 4)
    db.session.close()
    assert run_job(app, "audit_chain") == 4
    assert run_job(app, "audit_chain") == 0
    assert verify_chain().checked == 4


def test_signing_chains_what_waits_first_and_signs_all_of_it(world):
    write(world.cw_a, 5)
    checkpoint = sign_head()
    db.session.commit()
    assert checkpoint.event_id == 5 and waiting().count == 0
    result = verify_chain()
    assert (result.valid, result.checked, result.checkpoints) == (True, 5, 1)


@pytest.mark.parametrize(
    "seal",
    [None, "0" * 64, "copied"],
    ids=["no-seal", "made-up-seal", "seal-of-the-event-it-copies"],
)
def test_a_row_inserted_without_the_key_is_never_chained_and_is_named(world, seal):
    """An insider who can write to the database but not read the app's key cannot make the chain
    tell that a caseworker read a file she never opened."""
    write(world.cw_a, 3)
    chain_all()
    forged_id = insert_behind_the_apps_back(**({} if seal == "copied" else {"seal": seal}))
    write(world.cw_a, 2, action="test.after")
    assert chain_all() == 2  # the genuine ones, not the forged row
    forged = [r for r in rows() if r["id"] == forged_id][0]
    assert forged["chain_position"] is None and forged["hash"] is None
    result = verify_chain()
    assert (result.valid, result.problem, result.invalid_event_id, result.first_invalid_event) == (
        False, "forged", forged_id, None)
    assert result.checked == 5  # the chain itself holds


def test_the_auditor_and_the_command_name_the_forged_row(app, client, world):
    write(world.cw_a, 2)
    chain_all()
    forged_id = insert_behind_the_apps_back(seal="f" * 64)
    login(client, world.auditor)
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client, "/")})
    page = client.get("/audit/verify").get_data(as_text=True)
    assert "The log was altered" in page and "its seal is false" in page
    assert f"?before={forged_id + 1}" in page  # where to see it in the list
    output = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert output.exit_code == 1 and f"BROKEN at the event with id {forged_id} (forged)" in output.output


def test_a_genuine_event_copied_under_a_new_id_keeps_a_seal_that_no_longer_holds(world):
    write(world.cw_a, 1)
    original = rows()[0]
    assert original["seal"] == event_seal(original, app_keys().audit_chain)
    assert event_seal(dict(original, id=original["id"] + 1), app_keys().audit_chain) != original["seal"]
    assert event_seal(dict(original, action="case.read"), app_keys().audit_chain) != original["seal"]


def test_events_waiting_too_long_are_a_warning_with_their_number(app, client, world):
    write(world.cw_a, 3)
    assert [f for f in verify_chain().findings if f.kind == "unchained"] == []
    later = rows()[0]["occurred_at"] + timedelta(minutes=5)  # five minutes after they were recorded
    [finding] = [f for f in verify_chain(now=later).findings if f.kind == "unchained"]
    assert (finding.count, finding.minutes) == (3, 5)
    assert verify_chain(now=later).valid  # a stopped sequencer proves no tampering


def test_the_verify_page_says_how_many_events_wait_and_signing_links_them(client, world):
    write(world.cw_a, 2)
    login(client, world.auditor)
    page = client.get("/audit/verify").get_data(as_text=True)
    assert 'data-testid="waiting"' in page
    response = client.post("/audit/verify/sign", data={"csrf_token": csrf_token(client, "/audit/verify")})
    assert response.status_code == 302
    assert [r["action"] for r in rows() if r["chain_position"] is None and r["action"] == "test.event"] == []
    assert verify_chain().valid and verify_chain().checkpoints == 1


# --- PostgreSQL: the trigger, concurrent requests and sequencers ----------------------------------


@pytest.mark.postgres
def test_the_apps_role_may_chain_a_waiting_event_once_and_change_nothing_else(world):
    write(world.cw_a, 2)
    chain_all()
    write(world.cw_a, 1)
    first, _second, waiting_row = rows()
    refused = [
        ("UPDATE audit_events SET action = 'x' WHERE id = :id", waiting_row["id"]),
        ("UPDATE audit_events SET chain_position = 3, prev_hash = :h, hash = :h, action = 'x' WHERE id = :id",
         waiting_row["id"]),
        ("UPDATE audit_events SET chain_position = 7 WHERE id = :id", first["id"]),  # already chained
        ("UPDATE audit_events SET chain_position = 3, prev_hash = :h, hash = :h WHERE id = :id", first["id"]),
        ("UPDATE audit_events SET seal = :h WHERE id = :id", waiting_row["id"]),
    ]
    for statement, event_id in refused:
        with pytest.raises(DBAPIError, match="append-only|permission denied"), db.engine.begin() as conn:
            conn.execute(text(statement), {"id": event_id, "h": "a" * 64})
    assert [(r["action"], r["chain_position"]) for r in rows()] == [
        ("test.event", 1), ("test.event", 2), ("test.event", None)]
    assert chain_all() == 1 and verify_chain().valid


@pytest.mark.postgres
@pytest.mark.slow
def test_no_request_waits_for_an_open_request_that_has_written_its_events(app, world):
    """The first request has written its events (a read of the log made it write them early) and
    is still open; the second commits at once, the sequencer chains the second's events and leaves
    the first's (not committed) for its next run."""
    first_written, second_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    waited: list[bool] = []

    def first() -> None:
        try:
            with app.app_context():
                with as_user(world.cw_a):
                    record("test.first")
                flush_staged()  # INSERT sent, transaction still open
                first_written.set()
                waited.append(second_done.wait(timeout=10))
                db.session.commit()
        except BaseException as exc:  # noqa: BLE001  (re-raised in the test thread)
            errors.append(exc)
            first_written.set()

    def second() -> None:
        try:
            with app.app_context():
                first_written.wait(timeout=10)
                with as_user(world.cw_b):
                    record("test.second")
                db.session.commit()
                chain_pending()
                db.session.commit()
                second_done.set()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
            second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and waited == [True]
    assert [(r["action"], r["chain_position"]) for r in rows()] == [("test.first", None), ("test.second", 1)]
    assert chain_all() == 1
    assert [(r["action"], r["chain_position"]) for r in rows()] == [("test.first", 2), ("test.second", 1)]
    assert verify_chain().valid and verify_chain().checked == 2


@pytest.mark.postgres
@pytest.mark.slow
def test_two_sequencers_and_many_writers_at_once_keep_one_linear_chain(app, world):
    stop = threading.Event()
    errors: list[BaseException] = []
    written = [0] * 4

    def writer(n: int) -> None:
        try:
            with app.app_context():
                for i in range(30):
                    for j in range(1 + (n + i) % 3):
                        record("test.busy", details={"writer": n, "i": i, "j": j})
                        written[n] += 1
                    db.session.commit()
        except BaseException as exc:  # noqa: BLE001  (re-raised in the test thread)
            errors.append(exc)

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    sequencers = [threading.Thread(target=keep_chaining, args=(app, stop, errors)) for _ in range(2)]
    for thread in writers + sequencers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    for thread in sequencers:
        thread.join()
    assert errors == []
    chain_all()
    positions = sorted(r["chain_position"] for r in rows())
    assert positions == list(range(1, sum(written) + 1))
    result = verify_chain()
    assert result.valid and result.checked == sum(written)


def test_with_nothing_waiting_the_sequencer_neither_locks_nor_writes(world):
    write(world.cw_a, 1)
    chain_all()
    with statements() as sent:
        assert chain_pending() == 0
    db.session.commit()
    assert len(sent) == 1 and sent[0].lstrip().upper().startswith("SELECT"), sent
    assert "FOR UPDATE" not in sent[0].upper()
