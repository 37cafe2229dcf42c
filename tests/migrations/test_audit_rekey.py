"""The migration that keys the access log: an existing plain SHA-256 chain (demo data, a running
network) becomes keyed with its checkpoints re-signed, and a chain that does not verify is refused."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from referral.audit.chain import HASHED_FIELDS, event_hash, legacy_event_hash
from referral.audit.log import record
from referral.audit.verify import sign_head, verify_chain
from referral.extensions import db
from referral.models import AuditEvent
from referral.security.keys import app_keys
from tests.factories import as_user, insider_sql

BEFORE = "08ca08f5d2d3"


def _rows() -> list[dict]:
    # Only the columns every revision has: the current model has more (chain_position, seal, a23).
    columns = [AuditEvent.__table__.c[name] for name in (*HASHED_FIELDS, "hash")]
    return [dict(r) for r in db.session.execute(select(*columns).order_by(AuditEvent.id)).mappings()]


def plain_chain_holds() -> bool:
    rows = _rows()
    return bool(rows) and all(legacy_event_hash(row) == row["hash"] for row in rows)


def keyed_chain_holds() -> bool:
    rows = _rows()
    return bool(rows) and all(event_hash(row, app_keys().audit_chain) == row["hash"] for row in rows)


def migrate(owner_app, step) -> None:
    db.session.close()  # the test's reads hold no lock the migration waits for
    with owner_app.app_context():
        step()
        db.engine.dispose()
    db.session.expire_all()


@pytest.fixture
def signed_ten(world):
    with as_user(world.auditor):
        for n in range(10):
            record("test.event", details={"n": n})
    db.session.commit()
    sign_head()
    db.session.commit()


def test_a_plain_chain_is_keyed_and_its_checkpoint_signed_again(owner_app, signed_ten):
    db.session.close()
    migrate(owner_app, lambda: downgrade(revision=BEFORE))
    assert plain_chain_holds()  # what main had: anyone could recompute these
    assert not keyed_chain_holds()
    migrate(owner_app, upgrade)
    assert not plain_chain_holds()
    result = verify_chain()
    assert (result.valid, result.checked, result.checkpoints, result.external_checkpoints) == (True, 10, 1, 1)


def test_a_plain_chain_that_does_not_verify_is_not_keyed(owner_app, signed_ten):
    db.session.close()
    migrate(owner_app, lambda: downgrade(revision=BEFORE))
    insider_sql("UPDATE audit_events SET action = 'nothing.happened' WHERE id = 4")
    try:
        with pytest.raises(SystemExit):  # Flask-Migrate's answer to the migration's RuntimeError
            migrate(owner_app, upgrade)
        assert plain_chain_holds() is False and not keyed_chain_holds()
    finally:
        insider_sql("UPDATE audit_events SET action = 'test.event' WHERE id = 4")
        migrate(owner_app, upgrade)
    assert verify_chain().valid
