"""The restore drill: `flask backup` saves the database and the keys apart; `flask restore` into an
empty database gives the full schema (indexes, constraints, triggers counted against the source),
files that decrypt with the saved keys, and an access log that verifies. A restore into a database
someone is connected to is refused."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy_utils import create_database

from referral import create_app
from referral.backup import structure_counts
from referral.extensions import db
from tests.factories import IDENTITY, make_case

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _run(app, *args):
    # The test's own app context is the suite's app: the command must run in `app`'s.
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def _keys(path) -> dict:
    names = {"MASAR_MASTER_KEYS": "MASTER_KEYS", "MASAR_BLIND_INDEX_KEY": "BLIND_INDEX_KEY",
             "MASAR_AUDIT_SIGNING_KEY": "AUDIT_SIGNING_KEY", "MASAR_AUDIT_CHAIN_KEY": "AUDIT_CHAIN_KEY"}
    pairs = [line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return {names[k]: v for k, v in pairs if k in names}


@pytest.fixture
def empty_database(database_urls):
    """A new database owned by the owner role, as an operator creates one to restore into."""
    name = f"masar_restored_{uuid.uuid4().hex[:8]}"
    owner = database_urls.owner.rsplit("/", 1)[0].split("://", 1)[1].split("@", 1)[0]
    app_role = database_urls.app.split("://", 1)[1].split("@", 1)[0]
    new_database = database_urls.admin.rsplit("/", 1)[0] + f"/{name}"
    create_database(new_database)
    in_new = create_engine(new_database, isolation_level="AUTOCOMMIT")
    with in_new.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" OWNER TO "{owner}"'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{app_role}"'))
        conn.execute(text(f'GRANT CREATE ON SCHEMA public TO "{owner}"'))
    in_new.dispose()

    def url(kind):
        return getattr(database_urls, kind).rsplit("/", 1)[0] + f"/{name}"

    yield url
    admin = create_engine(database_urls.admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # FORCE: the restored app's engine may still hold a connection
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_restored_system_is_whole_decrypts_and_verifies(app, owner_app, world, tmp_path, empty_database):
    case_id, user_id = make_case(world.cw_a).id, world.cw_a.id
    db.session.remove()  # the suite's own connection stays out of the databases dropped below
    dumps, keys = tmp_path / "dumps", tmp_path / "keys"
    saved = _run(owner_app, "backup", "--to", str(dumps), "--keys-to", str(keys))
    assert saved.exit_code == 0, saved.output
    dump = next(dumps.glob("*.dump"))
    key_file = next(keys.glob("*.env"))
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert app.config["MASTER_KEYS"].split(":", 1)[1].encode() not in dump.read_bytes()  # keys never in the dump

    restorer = create_app("test", {"SQLALCHEMY_DATABASE_URI": empty_database("owner"), **_keys(key_file)})
    restored = _run(restorer, "restore", str(dump))
    assert restored.exit_code == 0, restored.output
    with owner_app.app_context(), db.engine.connect() as conn:
        source = structure_counts(conn)
    with restorer.app_context(), db.engine.connect() as conn:
        assert structure_counts(conn) == source
        assert source["triggers"] >= 6 and source["indexes"] > 40
    with restorer.app_context():
        db.engine.dispose()

    # The app, as its own role, with the saved keys: serves, decrypts, and the log verifies.
    served = create_app("test", {"SQLALCHEMY_DATABASE_URI": empty_database("app"), "SERVER_NAME": "masar.test",
                                 "AUDIT_CHECKPOINT_DIR": app.config["AUDIT_CHECKPOINT_DIR"], **_keys(key_file)})
    try:
        assert served.test_client().get("/readyz").status_code == 200
        with served.app_context():
            from referral.models import Case, User
            from referral.services.cases import read_identity

            user = db.session.get(User, user_id)
            identity = read_identity(user, db.session.get(Case, case_id))
            assert IDENTITY["full_name"] in str(identity)
            db.session.rollback()
        verified = _run(served, "audit", "verify")
        assert verified.exit_code == 0, verified.output
        assert "intact" in verified.output
    finally:
        with served.app_context():
            db.engine.dispose()


def test_a_restore_is_refused_while_someone_is_connected(owner_app, world, tmp_path, empty_database):
    saved = _run(owner_app, "backup", "--to", str(tmp_path / "d"), "--keys-to", str(tmp_path / "k"))
    assert saved.exit_code == 0, saved.output
    dump = next((tmp_path / "d").glob("*.dump"))
    scheduler = create_engine(empty_database("app"), connect_args={"application_name": "masar-scheduler"})
    restorer = create_app("test", {"SQLALCHEMY_DATABASE_URI": empty_database("owner")})
    try:
        with scheduler.connect():
            refused = _run(restorer, "restore", str(dump))
        assert refused.exit_code != 0
        assert "other sessions are connected" in refused.output and "masar-scheduler" in refused.output
        with restorer.app_context(), db.engine.connect() as conn:  # nothing was restored
            assert structure_counts(conn)["tables"] == 0
    finally:
        scheduler.dispose()
        with restorer.app_context():
            db.engine.dispose()


def test_backup_keeps_keys_and_dump_apart(owner_app, tmp_path):
    same = _run(owner_app, "backup", "--to", str(tmp_path), "--keys-to", str(tmp_path))
    assert same.exit_code != 0 and "different places" in same.output
    assert not os.listdir(tmp_path)
