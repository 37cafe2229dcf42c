"""Pages do a constant number of SQL statements, whatever the file holds.

A file page that loads each actor, agency or data key one row at a time gets slower with every
event, referral and note on the file (at a million files, 26 to 57 statements for one page).
Each page is counted for a small file and for a busy one (many events, referrals, notes, consents
and people) and must issue exactly as many statements for both.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from referral.extensions import db
from referral.models import Case, CaseKey, Consent, Referral
from referral.models.base import utcnow, uuid7
from referral.models.vocab import Role, ServiceCategory
from referral.policy import Action, NotFoundError, case_access, require
from referral.security import case_crypto
from referral.security.crypto import DataKeyShredded, DecryptionFailed, FieldCipher, WrappedKey
from referral.security.keys import app_keys
from referral.services import case_views, cases
from referral.services.assessments import assess_risk
from referral.services.attachments import add_attachment
from referral.services.consents import record_consent, withdraw_consent
from referral.services.notes import add_note
from referral.services.risk import QUESTION_IDS
from referral.workflows.engine import fire
from tests.factories import (
    IDENTITY,
    as_user,
    consent_and_refer,
    csrf_token,
    login,
    make_case,
    make_user,
    statements,
)

#: Set MASAR_SHOW_QUERIES=1 to print the statements of every counted page.
SHOW = os.environ.get("MASAR_SHOW_QUERIES") == "1"


def page_statements(client, path: str) -> list[str]:
    """The statements of one page view (after a first view, so both counts see a warm session)."""
    assert client.get(path).status_code == 200
    with statements() as seen:
        response = client.get(path)
    assert response.status_code == 200, path
    if SHOW:
        print(f"\n--- {path}: {len(seen)} statements")
        for statement in seen:
            print("   ", " ".join(statement.split())[:160])
    client.last_page = response.get_data(as_text=True)
    return seen


def _transition(user, referral, *actions, **kwargs):
    with as_user(user):
        for action in actions:
            fire(referral, action, user, **kwargs)
        db.session.commit()


def _note(user, case, body, referral=None):
    with as_user(user):
        add_note(user, case, body, referral=referral)
        db.session.commit()


def small_file(world):
    """One of everything the page shows: a referral to the police, a note each side, an attachment."""
    case = make_case(world.cw_a)
    referral = consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    _transition(world.officer_police, referral, "acknowledge")
    _note(world.cw_a, case, "First meeting.")
    _note(world.officer_police, case, "Called her.", referral)
    with as_user(world.cw_a):
        add_attachment(world.cw_a, case, filename="report.txt", content_type="text/plain", data=b"report")
        db.session.commit()
    return case, referral


def busy_file(world):
    """Many events, referrals, notes, consents and people: three caseworkers, four officers,
    six referrals to three agencies, comments, a risk assessment, a withdrawn consent."""
    cw2 = make_user("cw.a2", world.assoc_a, Role.CASEWORKER)
    cw3 = make_user("cw.a3", world.assoc_a, Role.CASEWORKER)
    officer2 = make_user("officer.police2", world.police, Role.OFFICER)
    officer3 = make_user("officer.police3", world.police, Role.OFFICER)
    officer4 = make_user("officer.police4", world.police, Role.OFFICER)
    db.session.commit()
    case = make_case(world.cw_a, full_name="Nadia Amrani", phone="0677777777", national_id="QQ999999")
    police = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    referral = consent_and_refer(world.cw_a, case, police, fields=("name", "contact", "narrative"))
    _transition(world.officer_police, referral, "acknowledge")
    _transition(officer2, referral, "accept")
    _transition(officer3, referral, "start")
    _transition(officer4, referral, "info_request", message="Which neighbourhood?")
    _transition(cw3, referral, "info_provided", message="Derb Sultan")
    earlier = consent_and_refer(cw2, case, police, fields=("name",), urgency="standard")
    _transition(officer2, earlier, "decline", reason="no_capacity")
    third = consent_and_refer(cw3, case, police, fields=("contact",), urgency="emergency")
    _transition(officer3, third, "acknowledge")
    consent_and_refer(cw2, case, world.service(world.assoc_b, ServiceCategory.LEGAL))
    consent_and_refer(cw3, case, world.service(world.assoc_b, ServiceCategory.SHELTER), fields=("contact",))
    consent_and_refer(world.cw_a, case, world.service(world.hospital, ServiceCategory.POST_RAPE_CARE),
                      urgency="emergency", assault_at=utcnow() - timedelta(hours=3))
    with as_user(cw2):
        record_consent(cw2, case, fields=["name"], service_category=ServiceCategory.MEDICAL)
        withdrawn = record_consent(cw2, case, fields=["narrative"], agency_id=world.hospital.id)
        db.session.commit()
    with as_user(cw3):
        withdraw_consent(cw3, case, withdrawn)
        assess_risk(cw3, case, {q: i % 2 == 0 for i, q in enumerate(QUESTION_IDS)})
        for n in range(3):
            add_attachment(cw3, case, filename=f"scan-{n}.pdf", content_type="application/pdf", data=b"%PDF" * (n + 1))
        db.session.commit()
    for n, (user, on) in enumerate([(world.cw_a, None), (cw2, None), (cw3, None), (world.officer_police, referral),
                                    (officer2, referral), (officer3, referral), (officer3, third), (cw2, referral)]):
        _note(user, case, f"Note {n}.", on)
    return case, referral


@pytest.fixture
def files(world):
    return {"small": small_file(world), "busy": busy_file(world)}


def _counts(client, paths: dict[str, str]) -> dict[str, int]:
    return {name: len(page_statements(client, path)) for name, path in paths.items()}


def test_the_caseworker_file_page(client, world, files):
    login(client, world.cw_a)
    counts = _counts(client, {name: f"/cases/{case.id}" for name, (case, _r) in files.items()})
    assert counts["small"] == counts["busy"], counts
    # ...and the busy page does show everyone and everything (names read with the rows).
    for shown in ("Note 7.", "scan-2.pdf", "ASSOC-B ar", "HOSPITAL ar"):
        assert shown in client.last_page


def test_the_officer_file_page(client, world, files):
    login(client, world.officer_police)
    counts = _counts(client, {name: f"/cases/{case.id}" for name, (case, _r) in files.items()})
    assert counts["small"] == counts["busy"], counts
    assert "Nadia Amrani" in client.last_page


@pytest.mark.parametrize("who", ["cw_a", "officer_police"])
def test_the_file_s_timeline(client, world, files, who):
    """The history, read when she opens it: as many statements for dozens of events by seven
    people as for a few, every actor named."""
    login(client, getattr(world, who))
    counts = _counts(client, {name: f"/cases/{case.id}/timeline?fragment=1" for name, (case, _r) in files.items()})
    assert counts["small"] == counts["busy"], counts
    assert "Officer.Police4" in client.last_page
    if who == "cw_a":
        assert "Cw.A3" in client.last_page


def test_the_officer_referral_page(client, world, files):
    login(client, world.officer_police)
    counts = _counts(client, {name: f"/referrals/{referral.id}" for name, (_c, referral) in files.items()})
    assert counts["small"] == counts["busy"], counts
    for shown in ("Officer.Police4", "Cw.A3", "Derb Sultan", "Note 7.", "Nadia Amrani"):
        assert shown in client.last_page
    # Each of the file's rows once: the history gives the comments too, the memo the consents.
    seen = page_statements(client, f"/referrals/{files['busy'][1].id}")
    for table in ("referral_events", "consents", "services"):
        assert sum(s.lstrip().startswith(f"SELECT {table}.") for s in seen) == 1, table


def test_the_caseworker_referral_page(client, world, files):
    login(client, world.cw_a)
    counts = _counts(client, {name: f"/referrals/{referral.id}" for name, (_c, referral) in files.items()})
    assert counts["small"] == counts["busy"], counts


def test_the_officer_inbox_whatever_it_holds(client, world):
    police = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    consent_and_refer(world.cw_a, make_case(world.cw_a), police)
    login(client, world.officer_police)
    one = len(page_statements(client, "/referrals/inbox"))
    for n in range(13):  # a full page and a next one, from two associations
        cw = world.cw_a if n % 2 else world.cw_b
        consent_and_refer(cw, make_case(cw, full_name=f"Survivor {n}", phone=f"06000000{n:02d}",
                                        national_id=f"XX{n:06d}"), police, urgency=("urgent", "emergency")[n % 2])
    for n in range(13):
        cw = world.cw_a if n % 2 else world.cw_b
        case = make_case(cw, full_name=f"Survivor b{n}", phone=f"06100000{n:02d}", national_id=f"XY{n:06d}")
        consent_and_refer(cw, case, police)
    assert len(page_statements(client, "/referrals/inbox")) == one
    assert len(page_statements(client, "/referrals/inbox?page=2")) == one


@pytest.mark.parametrize("who", ["officer_police", "cw_a", "coordinator"])
def test_the_home_page_whatever_the_network_holds(client, world, who):
    """The home page every officer, caseworker and coordinator lands on: its counts and first items
    cost as many statements for one referral as for a network of them, some overdue, some back."""
    police = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    consent_and_refer(world.cw_a, make_case(world.cw_a), police)
    login(client, getattr(world, who))
    one = len(page_statements(client, "/"))
    long_ago = utcnow() - timedelta(days=30)
    for n in range(12):
        cw = world.cw_a if n % 2 else world.cw_b
        referral = consent_and_refer(cw, make_case(cw, full_name=f"Survivor {n}", phone=f"06000000{n:02d}",
                                                   national_id=f"XX{n:06d}"), police, at=long_ago)
        if n % 3 == 0:
            with as_user(world.officer_police):
                fire(referral, "decline", world.officer_police, reason="no_capacity", at=long_ago)
            db.session.commit()
    assert len(page_statements(client, "/")) == one


def test_the_new_referral_page_whatever_the_directory_holds(client, world):
    """The caseworker's list of services to refer her to says, for each, what her consent lets the
    agency see: one statement for all the agencies' kinds of service, not one per agency."""
    from tests.factories import make_agency

    case = make_case(world.cw_a)
    with as_user(world.cw_a):
        record_consent(world.cw_a, case, fields=["name"], service_category=ServiceCategory.LEGAL)
        db.session.commit()
    login(client, world.cw_a)
    path = f"/referrals/new/{case.id}"
    few = page_statements(client, path)
    for n in range(6):
        make_agency(f"LEGAL-{n}", categories=[ServiceCategory.LEGAL, ServiceCategory.PSYCHOSOCIAL], region=world.r1)
    db.session.commit()
    many = page_statements(client, path)
    assert len(many) == len(few), (len(few), len(many))
    assert "LEGAL-5" in client.last_page


def test_the_caseworker_file_list_whatever_it_holds(client, world):
    make_case(world.cw_a)
    login(client, world.cw_a)
    one = page_statements(client, "/cases/")
    for n in range(30):  # more than a page
        make_case(world.cw_a, full_name=f"Survivor {n}", phone=f"06000000{n:02d}", national_id=f"XX{n:06d}")
    full = page_statements(client, "/cases/")
    assert len(full) == len(one), (len(one), len(full))
    assert sum("case_keys" in s for s in full) == 1


def test_the_file_list_reads_every_data_key_in_one_query(app, world):
    made = [make_case(world.cw_a, full_name=f"Survivor {n}", phone=f"06000000{n:02d}", national_id=f"XX{n:06d}")
            for n in range(6)]
    with app.app_context(), as_user(world.cw_a), statements() as seen:  # a new request: no key cached
        rows, _more = case_views.list_cases(world.cw_a)
    assert sorted(r.name for r in rows) == sorted(f"Survivor {n}" for n in range(6))
    assert {r.case.id for r in rows} == {c.id for c in made}
    assert sum("case_keys" in s for s in seen) == 1


def test_prefetch_leaves_a_shredded_file_unreadable(app, world):
    kept, shredded = make_case(world.cw_a), make_case(world.cw_a, full_name="Khadija Tazi", phone="0698765432",
                                                     national_id="AA111111")
    db.session.execute(db.delete(CaseKey).where(CaseKey.case_id == shredded.id))
    db.session.commit()
    with app.app_context(), statements() as seen:
        case_crypto.prefetch_case_ciphers([kept.id, shredded.id, kept.id])
        assert case_crypto.unseal_text(kept.id, "cases", "full_name", kept.id, kept.full_name_ct) == IDENTITY[
            "full_name"]
        with pytest.raises(DataKeyShredded):
            case_crypto.case_cipher(shredded.id)
    # One query for both keys, and one more when the shredded file's key is asked for by itself.
    assert sum("case_keys" in s for s in seen) == 2


def test_a_file_is_read_with_its_key_and_erasure_still_forgets_it(app, world):
    from referral.services.cases import get_case

    case_id = make_case(world.cw_a).id
    with app.app_context(), statements() as seen:  # a new request: no key cached
        loaded = get_case(case_id)
        assert case_crypto.unseal_text(loaded.id, "cases", "full_name", loaded.id, loaded.full_name_ct) == IDENTITY[
            "full_name"]
        assert len(seen) == 1 and "case_keys" in seen[0]  # the file and its key, one statement
        db.session.execute(db.delete(CaseKey).where(CaseKey.case_id == case_id))
        get_case(case_id)  # read again with its key, now gone
        case_crypto.forget_cached_key(case_id)  # as erasure does
        with pytest.raises(DataKeyShredded):
            case_crypto.case_cipher(case_id)
        db.session.rollback()
    with app.app_context():
        get_case(case_id)
        case_crypto.forget_cached_key(case_id)  # a key remembered with its file is forgotten too
        with statements() as asked:
            case_crypto.case_cipher(case_id)
        assert sum("case_keys" in s for s in asked) == 1


# --- one policy decision per request, never a stale one -------------------------------------------
# The file page asks for the same decision four times; it is made once per request, user and file,
# and made again as soon as a referral or a consent changes, even before that change is flushed.


@pytest.fixture
def referred(world):
    case = make_case(world.cw_a)
    consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION),
                      fields=("name",))
    return case.id


def test_a_decision_is_made_once_per_request_and_per_user(app, world, referred):
    with app.app_context():
        case = db.session.get(Case, referred)
        with statements() as first:
            decision = case_access(world.officer_police, case)
        with statements() as again:
            assert case_access(world.officer_police, case) == decision
        other = case_access(world.officer_hospital, case)
    assert decision.relation == "recipient" and decision.fields == frozenset({"name"})
    assert first and not again
    assert (other.allowed, other.relation) == (False, "none")
    with app.app_context(), statements() as next_request:
        assert case_access(world.officer_police, db.session.get(Case, referred)) == decision
    assert any("consents" in s for s in next_request)  # a new request decides again


def test_a_consent_withdrawn_in_the_request_takes_the_fields_back_at_once(app, world, referred):
    with app.app_context(), as_user(world.cw_a):
        case = db.session.get(Case, referred)
        assert case_access(world.officer_police, case).fields == frozenset({"name"})
        consent = db.session.execute(select(Consent).where(Consent.case_id == case.id)).scalar_one()
        consent.withdrawn_at = utcnow()  # not flushed yet
        assert case_access(world.officer_police, case).fields == frozenset()
        db.session.flush()
        assert case_access(world.officer_police, case).fields == frozenset()
        db.session.rollback()  # and back: the decision follows the rollback
        assert case_access(world.officer_police, case).fields == frozenset({"name"})
        withdraw_consent(world.cw_a, case, db.session.get(Consent, consent.id))
        assert case_access(world.officer_police, case).fields == frozenset()
        with pytest.raises(NotFoundError):
            require(world.officer_hospital, Action.CASE_READ, case)


def test_a_referral_withdrawn_in_the_request_closes_the_file_at_once(app, world, referred):
    with app.app_context(), as_user(world.cw_a):
        case = db.session.get(Case, referred)
        assert require(world.officer_police, Action.CASE_READ, case).relation == "recipient"
        referral = db.session.execute(select(Referral).where(Referral.case_id == case.id)).scalar_one()
        fire(referral, "withdraw", world.cw_a)
        with pytest.raises(NotFoundError):
            require(world.officer_police, Action.CASE_READ, case)


def test_a_bulk_update_of_referrals_is_seen_at_once(app, world, referred):
    with app.app_context():
        case = db.session.get(Case, referred)
        with as_user(world.cw_a):
            record_consent(world.cw_a, case, fields=["name"], service_category=ServiceCategory.MEDICAL)
            db.session.commit()
        assert case_access(world.officer_police, case).allowed
        # Sent on to the hospital's medical care, which the consent just recorded covers.
        db.session.execute(update(Referral).where(Referral.case_id == case.id)
                           .values(to_agency_id=world.hospital.id, need=ServiceCategory.MEDICAL))
        assert not case_access(world.officer_police, case).allowed
        assert case_access(world.officer_hospital, case).relation == "recipient"


def test_the_officer_page_follows_a_withdrawal_between_two_requests(client, other_client, world):
    case = make_case(world.cw_a, full_name="Salma Bennani")
    consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION),
                      fields=("name",))
    login(client, world.officer_police)
    assert "Salma Bennani" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    login(other_client, world.cw_a)
    consent = db.session.execute(select(Consent).where(Consent.case_id == case.id)).scalar_one()
    withdrawn = other_client.post(f"/cases/{case.id}/consents/{consent.id}/withdraw",
                                  data={"csrf_token": csrf_token(other_client, f"/cases/{case.id}")})
    assert withdrawn.status_code == 302
    # Nothing the consent covered is left to her agency: the file is out of its scope.
    page = client.get(f"/cases/{case.id}")
    assert page.status_code == 404 and "Salma Bennani" not in page.get_data(as_text=True)


# --- the cheaper seal path writes and reads exactly what was written before -----------------------


def test_values_sealed_before_and_after_read_the_same(app, world):
    case = make_case(world.cw_a)
    with app.app_context():
        key_row = db.session.get(CaseKey, case.id)
        # A data key wrapped under the v1 associated data, spelled out: every stored key has it.
        data_key = app_keys().master.unwrap(WrappedKey(key_row.master_key_id, key_row.wrapped_key),
                                            f"masar:v1:case_keys:wrapped_key:{case.id}".encode())
        raw = FieldCipher(data_key)
        for table, column, row_id in [("cases", "narrative", case.id), ("consents", "note", 7),
                                      ("notes", "body", uuid7())]:
            aad = f"masar:v1:{table}:{column}:{row_id}".encode()
            written_before = raw.encrypt("Lives near the mosque", aad)
            assert case_crypto.unseal_text(case.id, table, column, row_id, written_before) == "Lives near the mosque"
            assert raw.decrypt(case_crypto.seal(case.id, table, column, row_id, "Call at noon"), aad) == b"Call at noon"
            with pytest.raises(DecryptionFailed):  # still bound to its place
                case_crypto.unseal(case.id, table, "other", row_id, written_before)


def test_search_reads_the_candidates_keys_in_one_query(app, world):
    same_name = [make_case(world.cw_a, full_name="Fatima Zahra", phone=f"06000000{n:02d}", national_id=f"XX{n:06d}")
                 for n in range(5)]
    with app.app_context(), as_user(world.cw_a), statements() as seen:  # a new request: no key cached
        found = cases.search(world.cw_a, "full_name", "fatima zahra")
    assert {c.id for c in found} == {c.id for c in same_name}
    assert sum("case_keys" in s for s in seen) == 1
