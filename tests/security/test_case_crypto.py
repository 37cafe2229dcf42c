"""What a database thief sees: the raw rows of every table hold no survivor identity, and a
ciphertext moved to another row or column, or a file whose master key is gone, fails loudly."""

from __future__ import annotations

import base64
import json
import os
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from referral import create_app
from referral.extensions import db
from referral.models import Case, User
from referral.models.vocab import RiskLevel, ServiceCategory
from referral.security.crypto import DecryptionFailed, KeyMissing
from referral.services.assessments import assess_risk
from referral.services.cases import read_identity, search
from referral.services.consents import record_consent
from referral.services.notes import add_note
from referral.services.referrals import create_referral
from referral.workflows.engine import fire
from tests.factories import as_user, make_case

LATIN = {
    "full_name": "Zineb Oubahammou-Tafraouti",
    "phone": "0661234987",
    "address": "7 Derb Lmaknassi, Fes Jdid",
    "contact_instructions": "Only call after 18h, never leave a voicemail",
    "national_id": "JK998877",
    "date_of_birth": "1987-11-23",
    "narrative": "Threatened with a knife by her brother-in-law Youssef",
}
ARABIC = {
    "full_name": "خديجة بنت الحسين العمراني",
    "phone": "+212 6 71 22 33 44",
    "address": "حي السلام، زنقة النخيل رقم 19، وجدة",
    "contact_instructions": "لا تتصلوا إلا صباحا عبر أختها",
    "national_id": "F445566",
    "date_of_birth": "1995-06-30",
    "narrative": "ضربها زوجها وطردها من البيت مع أطفالها",
}
# Free text typed elsewhere in the file: all of it is as sensitive as the identity.
EXTRA = {
    "note": "Her sister Amal hides her in Sefrou",
    "referral_message": "Lives near the mosque of Bab Ftouh",
    "consent_note": "Agreed in front of her aunt Rachida",
    "judgement": "He bought a gun last week",
    "outcome": "Protection order served on Hamid Tazi",
}


def needles(identity: dict) -> list[str]:
    """Every form in which a value could leak: whole, word by word, phone in any format."""
    found = [v for v in identity.values()] + list(EXTRA.values())
    found += [word for word in identity["full_name"].replace("-", " ").split() if len(word) > 3]
    digits = re.sub(r"\D", "", identity["phone"])
    local = digits[-9:]
    found += [local, "0" + local, "212" + local, "+212" + local, " ".join([local[:1], local[1:3], local[3:5],
                                                                            local[5:7], local[7:]])]
    found += [identity["national_id"].lower()]
    return found


def raw_rows():
    """(table, column, value) for every column of every row of every table, read with plain SQL."""
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(text(f'select * from "{table.name}"')).mappings().all()  # noqa: S608
        for row in rows:
            for column, value in row.items():
                yield table.name, column, value


def leaks(value, needle: str) -> bool:
    if value is None:
        return False
    if isinstance(value, (bytes, bytearray, memoryview)):
        blob = bytes(value)
        return needle.encode() in blob or needle.encode("utf-16-le") in blob
    as_text = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
    escaped = json.dumps(needle)[1:-1]  # how JSON stores non-ASCII text by default
    folded = as_text.casefold()
    if needle.casefold() in folded or escaped.casefold() in folded:
        return True
    return needle.isdigit() and len(needle) >= 9 and needle[-9:] in re.sub(r"\D", "", as_text)


def full_file(world, identity: dict):
    """A file with everything: risk, consent, referral through to completion, notes, search."""
    case = make_case(world.cw_a, **identity)
    police = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    with as_user(world.cw_a):
        assess_risk(world.cw_a, case, {"injury": True}, judged_level=RiskLevel.HIGH, judgement=EXTRA["judgement"])
        record_consent(world.cw_a, case, fields=["name", "contact", "narrative"], agency_id=world.police.id,
                       note=EXTRA["consent_note"])
        referral = create_referral(world.cw_a, case, service=police, urgency="urgent",
                                   shared_fields=["name", "contact"], message=EXTRA["referral_message"])
        add_note(world.cw_a, case, EXTRA["note"])
        assert search(world.cw_a, "phone", identity["phone"]) == [case]
        db.session.commit()
    with as_user(world.officer_police):
        for action in ("acknowledge", "accept", "start"):
            fire(referral, action, world.officer_police)
        fire(referral, "complete", world.officer_police, message=EXTRA["outcome"])
        assert read_identity(world.officer_police, case)["full_name"] == identity["full_name"]
        db.session.commit()
    # The same survivor at a second association: the duplicate check runs on blind indexes.
    assert make_case(world.cw_b, **identity)._duplicates
    return case


@pytest.mark.parametrize("identity", [LATIN, ARABIC], ids=["latin", "arabic"])
def test_no_identity_in_any_raw_column(world, identity):
    full_file(world, identity)
    tables = {table for table, _, _ in raw_rows()}
    assert {"cases", "case_keys", "case_blind_indexes", "referrals", "referral_events", "consents",
            "risk_assessments", "notes", "audit_events", "notifications", "email_outbox"} <= tables
    found = [(table, column, needle) for table, column, value in raw_rows() for needle in needles(identity)
             if leaks(value, needle)]
    assert found == []


def test_the_scan_would_see_a_leak():
    """The detector itself: a value in clear, as text, JSON-escaped or bytes, is caught."""
    assert leaks("call 06 61 23 49 87 now", "0661234987")
    assert leaks({"q": ARABIC["full_name"]}, "العمراني")
    assert leaks(json.dumps({"q": ARABIC["full_name"]}), "العمراني")
    assert leaks(b"xx" + b"Zineb" + b"yy", "zineb".title())
    assert not leaks(b"\x01" + os.urandom(40), "Zineb")


# --- ciphertexts bound to their place ------------------------------------------------------


@contextmanager
def fresh_request(app):
    """A new app context: a new session and no cached data keys, as the next request has."""
    with app.app_context():
        yield
        db.session.rollback()


def _reload(model, key):
    return db.session.get(model, key)


def test_a_ciphertext_copied_to_another_file_fails_to_decrypt(app, world):
    victim = make_case(world.cw_a, **LATIN)
    other = make_case(world.cw_a, full_name="Someone Else", phone="0700000001", national_id="ZZ111111")
    db.session.execute(text("update cases set full_name_ct = (select full_name_ct from cases where id = :v) "
                            "where id = :o"), {"v": _id(victim), "o": _id(other)})
    db.session.commit()
    with fresh_request(app):
        user, case = _reload(User, world.cw_a.id), _reload(Case, other.id)
        with pytest.raises(DecryptionFailed, match="moved from another row or column"):
            read_identity(user, case)


def test_a_ciphertext_copied_to_another_column_fails_to_decrypt(app, world):
    case = make_case(world.cw_a, **LATIN)
    db.session.execute(text("update cases set phone_ct = full_name_ct where id = :id"), {"id": _id(case)})
    db.session.commit()
    with fresh_request(app):
        user, moved = _reload(User, world.cw_a.id), _reload(Case, case.id)
        with pytest.raises(DecryptionFailed):
            read_identity(user, moved, columns=["phone"])
        # The columns that were not touched still read.
        assert read_identity(user, moved, columns=["full_name"]) == {"full_name": LATIN["full_name"]}


def test_a_data_key_copied_from_another_file_fails_to_unwrap(app, world):
    mine = make_case(world.cw_a, **LATIN)
    theirs = make_case(world.cw_a, full_name="Other File", phone="0700000002", national_id="ZZ222222")
    db.session.execute(text("update case_keys set wrapped_key = (select wrapped_key from case_keys "
                            "where case_id = :m) where case_id = :t"), {"m": _id(mine), "t": _id(theirs)})
    # And its identity too: with the key and the values of `mine`, only the row binding stops it.
    for column in LATIN:
        db.session.execute(text(f"update cases set {column}_ct = (select {column}_ct from cases "  # noqa: S608
                                "where id = :m) where id = :t"), {"m": _id(mine), "t": _id(theirs)})
    db.session.commit()
    with fresh_request(app), pytest.raises(DecryptionFailed):
        read_identity(_reload(User, world.cw_a.id), _reload(Case, theirs.id))


# --- master keys from configuration ---------------------------------------------------------


@contextmanager
def other_keys(database_url, master_keys, active=None):
    """The same database seen by an app with another master key configuration."""
    other = create_app("test", {"SQLALCHEMY_DATABASE_URI": database_url, "MASTER_KEYS": master_keys,
                                "ACTIVE_MASTER_KEY_ID": active})
    try:
        with other.app_context():
            yield other
            db.session.rollback()
    finally:
        with other.app_context():
            db.engine.dispose()


def test_a_file_whose_master_key_is_not_configured_is_key_missing(database_url, world):
    case = make_case(world.cw_a, **LATIN)
    stranger = "other:" + base64.b64encode(os.urandom(32)).decode()
    with other_keys(database_url, stranger), pytest.raises(KeyMissing) as error:
        read_identity(_reload(User, world.cw_a.id), _reload(Case, case.id))
    assert "master key 'demo2026' is not configured; add it to MASAR_MASTER_KEYS" in str(error.value)
    assert LATIN["full_name"] not in str(error.value)


def test_same_key_id_with_wrong_material_fails_to_decrypt(database_url, world):
    case = make_case(world.cw_a, **LATIN)
    impostor = "demo2026:" + base64.b64encode(os.urandom(32)).decode()
    with other_keys(database_url, impostor), pytest.raises(DecryptionFailed):
        read_identity(_reload(User, world.cw_a.id), _reload(Case, case.id))


def test_a_file_opened_under_a_new_key_is_readable_beside_old_ones(database_url, world):
    old_file = make_case(world.cw_a, **LATIN)
    new_key = "new:" + base64.b64encode(os.urandom(32)).decode()
    from config import DEMO_MASTER_KEYS

    with other_keys(database_url, f"{new_key},{DEMO_MASTER_KEYS}", active="new"):
        new_file = make_case(_reload(User, world.cw_a.id), **ARABIC)
        key_ids = dict(db.session.execute(text("select case_id, master_key_id from case_keys")).all())
        assert sorted(key_ids.values()) == ["demo2026", "new"]
        user = _reload(User, world.cw_a.id)
        assert read_identity(user, _reload(Case, old_file.id))["phone"] == LATIN["phone"]
        assert read_identity(user, _reload(Case, new_file.id))["phone"] == ARABIC["phone"]


def _is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def _id(case):
    # Raw SQL sees the stored form of a UUID: 32 hex digits on SQLite, a uuid on PostgreSQL.
    return case.id.hex if _is_sqlite() else case.id
