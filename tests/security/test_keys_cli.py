"""Key rotation and crypto-shredding from the command line, as an operator runs them."""

from __future__ import annotations

import base64
import os
import subprocess
from contextlib import contextmanager

import pytest
from sqlalchemy import select, text

from config import DEMO_MASTER_KEYS
from referral import create_app
from referral.extensions import db
from referral.models import AuditEvent, Case, CaseBlindIndex, CaseKey, User
from referral.models.vocab import AgeBand, ServiceCategory, ViolenceType
from referral.security import case_crypto
from referral.security.crypto import DataKeyShredded, KeyMissing
from referral.services import accounts
from referral.services.assessments import assess_risk
from referral.services.cases import read_identity
from referral.services.notes import add_note, visible_notes
from tests.factories import IDENTITY, as_user, consent_and_refer, make_case

NEW_KEY = "new:" + base64.b64encode(os.urandom(32)).decode()


@contextmanager
def keys_app(database_url, master_keys, active=None):
    """The same database, run by an app configured with other master keys."""
    other = create_app("test", {"SQLALCHEMY_DATABASE_URI": database_url, "MASTER_KEYS": master_keys,
                                "ACTIVE_MASTER_KEY_ID": active})
    try:
        yield other
    finally:
        with other.app_context():
            db.engine.dispose()


def run(app, *args):
    """`flask <args>` in a context of its own, as a separate process would be."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=list(args))
        db.session.rollback()
    db.session.expire_all()
    return result


def readable(app, world, case_ids) -> dict:
    """Full names of the files, read as their caseworker through `app`'s key configuration."""
    with app.app_context():
        user = db.session.get(User, world.cw_a.id)
        names = {cid: read_identity(user, db.session.get(Case, cid), columns=["full_name"])["full_name"]
                 for cid in case_ids}
        db.session.rollback()
    return names


def key_ids() -> list[str]:
    db.session.expire_all()
    return sorted(db.session.execute(select(CaseKey.master_key_id)).scalars())


@pytest.fixture
def files(world):
    return {make_case(world.cw_a, full_name=f"Survivor {n}", phone=f"070000000{n}",
                      national_id=f"AB00000{n}").id: f"Survivor {n}" for n in range(3)}


def test_rotation_rewraps_every_data_key_and_the_old_key_can_then_go(database_url, world, files):
    before = dict(db.session.execute(select(CaseKey.case_id, CaseKey.wrapped_key)).all())
    with keys_app(database_url, f"{NEW_KEY},{DEMO_MASTER_KEYS}", active="new") as rotating:
        result = run(rotating, "rotate-keys")
        assert result.exit_code == 0, result.output
        assert "3 data keys, 3 to re-wrap under master key 'new'" in result.output
        assert "Done: 3 re-wrapped" in result.output
        assert key_ids() == ["new", "new", "new"]
        after = dict(db.session.execute(select(CaseKey.case_id, CaseKey.wrapped_key)).all())
        assert all(after[cid] != before[cid] for cid in files)
        assert None not in db.session.execute(select(CaseKey.rotated_at)).scalars().all()
        assert readable(rotating, world, files) == files
        again = run(rotating, "rotate-keys")
        assert "3 data keys, 0 to re-wrap" in again.output and again.exit_code == 0
    with keys_app(database_url, NEW_KEY) as new_only:
        assert readable(new_only, world, files) == files
        with new_only.app_context():
            # Staff second factors were wrapped by the old key too: they must still work.
            for user in (world.cw_a, world.officer_police, world.admin):
                assert accounts.totp_secret(db.session.get(User, user.id)) == user._test_totp_secret
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "keys.rotate")).scalars().first()
    assert event.actor_username == "cli" and event.details["active_key_id"] == "new"


def test_the_app_with_only_the_old_key_cannot_read_rotated_files(database_url, world, files):
    with keys_app(database_url, f"{NEW_KEY},{DEMO_MASTER_KEYS}", active="new") as rotating:
        run(rotating, "rotate-keys")
    with keys_app(database_url, DEMO_MASTER_KEYS) as stale, pytest.raises(KeyMissing, match="'new'"):
        readable(stale, world, files)


def test_an_interrupted_rotation_resumes_without_losing_anything(database_url, world, files, monkeypatch):
    real_rewrap = case_crypto.rewrap
    calls = []

    def crash_on_second_batch(row):
        calls.append(row.case_id)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return real_rewrap(row)

    with keys_app(database_url, f"{NEW_KEY},{DEMO_MASTER_KEYS}", active="new") as rotating:
        monkeypatch.setattr(case_crypto, "rewrap", crash_on_second_batch)
        crashed = run(rotating, "rotate-keys", "--batch", "1")
        assert crashed.exit_code != 0 and isinstance(crashed.exception, RuntimeError)
        assert key_ids() == ["demo2026", "demo2026", "new"]  # the first batch was committed
        assert readable(rotating, world, files) == files
        monkeypatch.undo()
        resumed = run(rotating, "rotate-keys", "--batch", "1")
        assert resumed.exit_code == 0, resumed.output
        assert "3 data keys, 2 to re-wrap" in resumed.output
    with keys_app(database_url, NEW_KEY) as new_only:
        assert readable(new_only, world, files) == files


def test_rotation_names_a_missing_old_key_instead_of_crashing(database_url, world, files):
    with keys_app(database_url, NEW_KEY) as forgot_old:
        result = run(forgot_old, "rotate-keys")
    assert result.exit_code == 1
    assert "master key 'demo2026' is not configured" in result.output
    assert "Traceback" not in result.output
    assert key_ids() == ["demo2026"] * 3


# --- shred-case ------------------------------------------------------------------------------


@pytest.fixture
def victim(world):
    case = make_case(world.cw_a)
    case.age_band, case.violence_type = AgeBand.ADULT, ViolenceType.PHYSICAL_ASSAULT
    with as_user(world.cw_a):
        add_note(world.cw_a, case, "She is hiding at her cousin's")
        assess_risk(world.cw_a, case, {"weapons": True}, judged_level="high", judgement="He has a rifle")
    db.session.commit()
    consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION),
                      message="Call her sister first")
    return case


def ciphertexts_left() -> list[str]:
    """Survivor ciphertext columns still holding bytes (staff second factors are not hers)."""
    left = []
    for table in db.metadata.sorted_tables:
        for column in (c.name for c in table.columns if c.name.endswith("_ct") and table.name != "users"):
            sql = f'select count(*) from "{table.name}" where {column} is not null and length({column}) > 0'  # noqa: S608
            count = db.session.execute(text(sql)).scalar_one()
            left += [f"{table.name}.{column}"] * count
    return left


def test_shred_without_yes_refuses_and_changes_nothing(app, world, victim):
    result = run(app, "shred-case", victim.case_number)
    assert result.exit_code == 2
    assert "Refusing without --yes" in result.output
    assert db.session.get(CaseKey, victim.id) is not None
    with as_user(world.cw_a):
        assert read_identity(world.cw_a, victim)["full_name"] == IDENTITY["full_name"]


def test_shred_makes_the_identity_unreadable_and_keeps_the_statistics(app, world, victim):
    result = run(app, "shred-case", victim.case_number, "--yes")
    assert result.exit_code == 0, result.output
    assert f"{victim.case_number}: data key destroyed" in result.output
    with app.app_context():  # the next request, without any cached key
        case = db.session.get(Case, victim.id)
        user = db.session.get(User, world.cw_a.id)
        assert db.session.get(CaseKey, case.id) is None
        assert read_identity(user, case) == {}
        assert read_identity(world.officer_police, case) == {}
        assert db.session.execute(select(CaseBlindIndex).where(CaseBlindIndex.case_id == case.id)).first() is None
        assert all(getattr(case, f"{column}_ct") is None for column in IDENTITY)
        assert visible_notes(user, case) == []  # the page shows none, it does not fail
        with pytest.raises(DataKeyShredded, match="erased"):
            case_crypto.case_cipher(case.id)
        assert (case.age_band, case.violence_type, case.region_id) == (
            AgeBand.ADULT, ViolenceType.PHYSICAL_ASSAULT, world.r1.id)
        assert case.shredded_at is not None
        event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "case.shred")).scalar_one()
        assert event.case_id == case.id and event.actor_username == "cli"
    # A restore of the ciphertexts alone would be useless: no data key row is left anywhere.
    assert db.session.execute(text("select count(*) from case_keys")).scalar_one() == 0
    assert ciphertexts_left() == []


@pytest.mark.parametrize("number", ["CAS-0000-999999", "twice"])
def test_shred_of_an_unknown_or_erased_file_is_a_clear_error(app, world, victim, number):
    if number == "twice":
        number = victim.case_number
        assert run(app, "shred-case", number, "--yes").exit_code == 0
    result = run(app, "shred-case", number, "--yes")
    assert result.exit_code == 2
    assert number in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_shred_leaves_no_trace_of_the_key_or_ciphertexts_in_the_sqlite_files(app, world, victim):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL keeps old row versions until VACUUM: see README, Backups and erasure")
    wrapped = db.session.get(CaseKey, victim.id).wrapped_key
    sealed = db.session.get(Case, victim.id).full_name_ct
    db.session.commit()
    path = db.engine.url.database

    def files() -> bytes:
        # Read by another process: closing a descriptor of the database file in this one would drop
        # every POSIX lock SQLite holds on it here, and the next process to close its connection
        # would then believe itself the last one and reset the WAL this process still writes to
        # (the SQLite file was found "malformed" later in the run).
        names = [p for p in (path, path + "-wal") if os.path.exists(p)]
        return subprocess.run(["cat", *names], capture_output=True, check=True).stdout  # noqa: S603,S607

    assert wrapped in files() or sealed in files()  # the test can see them when they are there
    result = run(app, "shred-case", victim.case_number, "--yes")
    assert result.exit_code == 0, result.output
    content = files()
    assert wrapped not in content and sealed not in content
