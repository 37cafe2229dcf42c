"""The auditor's pages: the access log, its CSV export and the integrity check, as she and others see them."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from referral.audit.log import record
from referral.extensions import db
from referral.models import AuditCheckpoint, AuditEvent
from referral.models.base import utcnow
from referral.models.vocab import Role
from referral.services import audit_queries
from referral.services.cases import read_identity
from referral.services.errors import InputError
from tests.factories import IDENTITY, as_user, chain_all, csrf_token, insider_sql, login, make_case, make_user

OTHER_IDENTITY = {"full_name": "خديجة العلوي", "phone": "0677889900", "national_id": "AB998877",
                  "address": "حي السلام، فاس", "narrative": "Threatened by her brother."}
SURVIVOR_VALUES = [v for v in (*IDENTITY.values(), *OTHER_IDENTITY.values())]
BREAK_GLASS_REASON = "danger_now"
BREAK_GLASS_LABEL = "She is in immediate danger"
ROW_ID = re.compile(r'<tr class="[^"]*">\s*<td><span class="ref" dir="ltr">(\d+)</span></td>')


@pytest.fixture
def log(world):
    """Two files of two associations, and an emergency read of the first by the other association."""
    case_a = make_case(world.cw_a)
    case_b = make_case(world.cw_b, **OTHER_IDENTITY)
    with as_user(world.cw_b):
        read_identity(world.cw_b, case_a, break_glass_reason=BREAK_GLASS_REASON, purpose="emergency")
        db.session.commit()
    chain_all()  # as the scheduler's sequencer does within seconds
    return case_a, case_b


def english(client) -> None:
    """Read the pages in English: assertions keep their meaning once the catalogues are translated."""
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client, "/")})


def as_auditor(client, world):
    login(client, world.auditor)
    english(client)
    return client


def shown_ids(page: str) -> list[int]:
    return [int(i) for i in ROW_ID.findall(page)]


def ids_where(*conditions) -> list[int]:
    return list(db.session.execute(
        select(AuditEvent.id).where(*conditions).order_by(AuditEvent.id.desc())).scalars())


def tamper(statement: str, **params) -> None:
    """What a database administrator could do behind the application's back."""
    insider_sql(statement, **params)


def read_csv(response) -> list[dict]:
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


# --- the list ------------------------------------------------------------------------------------


def test_the_log_lists_events_newest_first_with_file_numbers_and_no_survivor_data(client, world, log):
    case_a, case_b = log
    as_auditor(client, world)
    page = client.get("/audit").get_data(as_text=True)
    assert shown_ids(page) == ids_where()
    assert case_a.case_number in page and case_b.case_number in page
    assert all(value not in page for value in SURVIVOR_VALUES)
    # The emergency read stands out, with its reason.
    bg_id = ids_where(AuditEvent.break_glass_reason.is_not(None))[0]
    row = page.split(f'<span class="ref" dir="ltr">{bg_id}</span>')[1].split('<tr class="break-glass-reason">')[1]
    assert BREAK_GLASS_LABEL in row.split("</tr>")[0]
    assert re.search(rf'<tr class="break-glass">\s*<td><span class="ref" dir="ltr">{bg_id}</span></td>', page)
    assert page.count('<tr class="break-glass">') == 1


def test_filter_by_username(client, world, log):
    as_auditor(client, world)
    page = client.get("/audit?username=CW.B").get_data(as_text=True)
    expected = ids_where(AuditEvent.actor_user_id == world.cw_b.id)
    assert shown_ids(page) == expected and len(expected) >= 2
    assert shown_ids(client.get("/audit?username=nobody").get_data(as_text=True)) == []


def test_filter_by_file_number_never_by_identity(client, world, log):
    case_a, case_b = log
    as_auditor(client, world)
    page = client.get(f"/audit?case={case_a.case_number.lower()}").get_data(as_text=True)
    expected = ids_where(AuditEvent.case_id == case_a.id)
    assert shown_ids(page) == expected and len(expected) >= 2
    assert case_b.case_number not in page
    page = client.get("/audit?case=CAS-1999-000001").get_data(as_text=True)
    assert shown_ids(page) == [] and "No event matches." in page
    # A name typed in the box finds nothing: files are looked up by number only.
    assert shown_ids(client.get("/audit", query_string={"case": IDENTITY["full_name"]}).get_data(as_text=True)) == []


def test_filter_emergency_access_only(client, world, log):
    as_auditor(client, world)
    page = client.get("/audit?break_glass=y").get_data(as_text=True)
    expected = ids_where(AuditEvent.break_glass_reason.is_not(None))
    assert shown_ids(page) == expected and len(expected) == 1
    assert BREAK_GLASS_LABEL in page


def test_filter_by_action_prefix_outcome_agency_and_dates(client, other_client, world, log):
    other_client.post("/login", data={"username": "cw.a", "password": "wrong password!",
                                      "csrf_token": csrf_token(other_client)})
    as_auditor(client, world)
    page = client.get("/audit?action=case.").get_data(as_text=True)
    assert shown_ids(page) == ids_where(AuditEvent.action.like("case.%"))
    # Wildcards are literal: "%" is not "anything".
    assert shown_ids(client.get("/audit?action=%25").get_data(as_text=True)) == []

    page = client.get("/audit?outcome=failure").get_data(as_text=True)
    failed = ids_where(AuditEvent.outcome == "failure")
    assert shown_ids(page) == failed and len(failed) == 1

    page = client.get(f"/audit?agency={world.assoc_b.id}").get_data(as_text=True)
    assert shown_ids(page) == ids_where(AuditEvent.actor_agency_id == world.assoc_b.id)

    today = utcnow().date()
    assert shown_ids(client.get(f"/audit?date_from={today}&date_to={today}").get_data(as_text=True)) == ids_where()
    tomorrow, yesterday = today + timedelta(days=1), today - timedelta(days=1)
    assert shown_ids(client.get(f"/audit?date_from={tomorrow}").get_data(as_text=True)) == []
    assert shown_ids(client.get(f"/audit?date_to={yesterday}").get_data(as_text=True)) == []

    page = client.get(f"/audit?date_from={today}&date_to={yesterday}").get_data(as_text=True)
    assert "The end date is before the start date." in html.unescape(page)
    assert shown_ids(page) == [] and "Export as CSV" not in page


def test_pages_go_back_in_time_by_event_id_and_keep_the_filters(client, world):
    with as_user(world.cw_a):
        for i in range(60):
            record("keys.rotate", details={"n": i})
        db.session.commit()
    as_auditor(client, world)
    first = client.get("/audit?action=keys.").get_data(as_text=True)
    expected = ids_where(AuditEvent.action == "keys.rotate")
    assert shown_ids(first) == expected[:50]
    older = html.unescape(re.search(r'href="([^"]+)" rel="next"', first).group(1))
    assert f"before={expected[49]}" in older and "action=keys." in older
    second = client.get(older).get_data(as_text=True)
    assert shown_ids(second) == expected[50:]
    assert 'rel="next"' not in second


# --- CSV export ----------------------------------------------------------------------------------


def test_csv_export_has_the_header_the_rows_and_their_hashes_and_is_itself_logged(client, world, log):
    case_a, _ = log
    as_auditor(client, world)
    response = client.get(f"/audit/export.csv?case={case_a.case_number}")
    assert response.status_code == 200 and response.mimetype == "text/csv" and response.is_streamed
    assert response.headers["Content-Disposition"].startswith("attachment;")
    body = response.get_data(as_text=True)
    assert body[1:].splitlines()[0].split(",") == list(audit_queries_header())
    assert all(value not in body for value in SURVIVOR_VALUES)

    rows = read_csv(response)
    events = db.session.execute(
        select(AuditEvent).where(AuditEvent.case_id == case_a.id).order_by(AuditEvent.id)).scalars().all()
    assert [int(r["id"]) for r in rows] == [e.id for e in events]
    assert [(r["prev_hash"], r["hash"]) for r in rows] == [(e.prev_hash, e.hash) for e in events]
    assert {r["case_number"] for r in rows} == {case_a.case_number}
    bg = next(r for r in rows if r["break_glass_reason"])
    assert bg["break_glass_reason"] == BREAK_GLASS_REASON and bg["actor_username"] == "cw.b"
    assert bg["actor_agency_code"] == "ASSOC-B" and bg["fields"]

    export = db.session.execute(select(AuditEvent).where(AuditEvent.action == "audit.export")).scalar_one()
    assert export.actor_user_id == world.auditor.id
    assert export.details == {"filters": {"case_number": case_a.case_number}}


def audit_queries_header():
    from referral.web.audit import CSV_HEADER

    assert {"hash", "prev_hash", "case_number", "break_glass_reason"} <= set(CSV_HEADER)
    return CSV_HEADER


def test_csv_export_reads_in_batches_and_misses_nothing(client, world, log, monkeypatch):
    monkeypatch.setattr(audit_queries, "EXPORT_BATCH", 3)
    as_auditor(client, world)
    rows = read_csv(client.get("/audit/export.csv"))
    all_ids = sorted(ids_where())
    assert [int(r["id"]) for r in rows] == all_ids and len(all_ids) > 3
    assert rows[-1]["action"] == "audit.export"  # logged before the rows were read


def test_an_emergency_reason_is_a_code_never_free_text(world, log):
    # Staff would write names and places: free text would stand in clear in the log and its exports.
    case_a, _ = log
    with as_user(world.cw_b), pytest.raises(InputError):
        read_identity(world.cw_b, case_a, break_glass_reason="Her husband Karim is at the door")
    db.session.rollback()
    assert db.session.execute(select(AuditEvent).where(
        AuditEvent.break_glass_reason.contains("Karim"))).first() is None


def test_csv_cells_cannot_run_as_spreadsheet_formulas(client, world, log):
    case_a, _ = log
    # Usernames may start with "-", which a spreadsheet reads as a formula.
    formula = make_user("-1-1", world.assoc_b, Role.CASEWORKER)
    db.session.commit()
    with as_user(formula):
        read_identity(formula, case_a, break_glass_reason="missing")
        db.session.commit()
    as_auditor(client, world)
    rows = read_csv(client.get("/audit/export.csv?break_glass=y"))
    assert sorted(r["actor_username"] for r in rows) == sorted(["cw.b", "'-1-1"])


def test_csv_export_with_bad_filters_is_refused_and_not_logged(client, world):
    as_auditor(client, world)
    assert client.get("/audit/export.csv?date_from=2026-13-45").status_code == 400
    assert client.get("/audit/export.csv?agency=abc").status_code == 400
    assert ids_where(AuditEvent.action == "audit.export") == []


# --- integrity -----------------------------------------------------------------------------------


def test_verify_says_intact_then_finds_the_first_altered_event(client, world, log):
    as_auditor(client, world)
    page = client.get("/audit/verify").get_data(as_text=True)
    assert "The log is intact" in page and "The log was altered" not in page
    assert world.auditor.agency.name("en") in page  # the layout still reads her agency after the walk

    target = ids_where(AuditEvent.break_glass_reason.is_not(None))[0]
    tamper("UPDATE audit_events SET break_glass_reason = 'routine' WHERE id = :id", id=target)
    page = client.get("/audit/verify").get_data(as_text=True)
    assert "The log was altered" in page and "The log is intact" not in page
    assert f">#{target}</span>" in page  # its chain position (here its id too)
    assert f'href="/audit?before={target + 1}"' in page  # where the list shows it
    assert "This event was changed after it was written." in page


def test_verify_finds_a_removed_event(client, world, log):
    as_auditor(client, world)
    target = ids_where(AuditEvent.action == "case.create")[-1]
    tamper("DELETE FROM audit_events WHERE id = :id", id=target)
    page = client.get("/audit/verify").get_data(as_text=True)
    assert f">#{target}</span>" in page and "This event was removed from the log." in page


def test_signing_the_head_records_a_checkpoint_and_is_logged(client, world, log):
    as_auditor(client, world)
    assert "The log has never been signed." in client.get("/audit/verify").get_data(as_text=True)
    head = max(ids_where())
    response = client.post("/audit/verify/sign", data={"csrf_token": csrf_token(client, "/audit/verify")})
    assert response.status_code == 302 and response.headers["Location"].endswith("/audit/verify")

    checkpoint = db.session.execute(select(AuditCheckpoint)).scalar_one()
    assert checkpoint.event_id == head
    signed = db.session.execute(select(AuditEvent).where(AuditEvent.action == "audit.sign")).scalar_one()
    assert signed.id == head + 1 and signed.details["event_id"] == head
    assert signed.actor_user_id == world.auditor.id
    page = client.get("/audit/verify").get_data(as_text=True)
    assert f"The log was signed at event {head}." in page
    assert f'<dd><span class="ref" dir="ltr">#{head}</span></dd>' in page and "The log is intact" in page
    assert "1 signed checkpoint matches." in page

    # History rewritten before the signed point, hashes and all, is caught by the signature.
    tamper("UPDATE audit_events SET hash = :h WHERE id = :id", h="0" * 64, id=head)
    page = client.get("/audit/verify").get_data(as_text=True)
    assert "The log was altered" in page


# --- who may -------------------------------------------------------------------------------------

AUDIT_GETS = ("/audit", "/audit?username=cw.a", "/audit/export.csv", "/audit/verify")


@pytest.mark.parametrize("who", ["admin", "cw_a", "officer_police", "coordinator"])
def test_only_auditors_open_the_access_log(client, world, log, who):
    login(client, getattr(world, who))
    for url in AUDIT_GETS:
        assert client.get(url).status_code == 403, url
    response = client.post("/audit/verify/sign", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 403
    assert db.session.execute(select(AuditCheckpoint)).first() is None
    assert ids_where(AuditEvent.action.in_(["audit.export", "audit.sign"])) == []
    denied = db.session.execute(select(AuditEvent).where(AuditEvent.action == "access.denied")).scalars().all()
    assert len(denied) == len(AUDIT_GETS) + 1
    assert {e.details["action"] for e in denied} == {"audit:read"}


def test_the_menu_shows_the_access_log_to_auditors(client, world):
    login(client, world.auditor)
    assert 'href="/audit"' in client.get("/").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_login(client, world):
    for url in AUDIT_GETS:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    response = client.post("/audit/verify/sign", data={"csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/audit/verify/sign").status_code == 400
    assert db.session.execute(select(AuditCheckpoint)).first() is None


def test_signing_without_csrf_token_is_refused(client, world, log):
    as_auditor(client, world)
    assert client.post("/audit/verify/sign").status_code == 400
    assert client.post("/audit/verify/sign", data={"csrf_token": "forged"}).status_code == 400
    assert db.session.execute(select(AuditCheckpoint)).first() is None


# --- in words an auditor reads ------------------------------------------------------------------------


def _recorded_action_codes() -> set[str]:
    """Every action code the application writes: literal `record("...")` calls and the workflow's
    transitions (recorded as `referral.<action>`)."""
    from pathlib import Path

    from referral.workflows.definition import TRANSITIONS

    source = Path(__file__).resolve().parents[2] / "referral"
    pattern = re.compile(r'(?:record(?:_after)?\(\s*|^(?:GRANT|PENDING|APPROVED) = )"([a-z_]+\.[a-z_.]+)"', re.M)
    codes = {m.group(1) for path in source.rglob("*.py") for m in pattern.finditer(path.read_text())}
    codes |= {f"referral.{name}" for name in TRANSITIONS}
    codes |= {"account.approval_grant", "account.approval_refuse", "admin.user_disable"}  # passed as variables
    return codes


def test_every_action_the_application_writes_has_a_phrase_in_every_language(app):
    from flask_babel import force_locale

    from referral.audit.labels import ACTIONS, action_phrase

    codes = _recorded_action_codes()
    assert len(codes) > 60 and not codes - set(ACTIONS), sorted(codes - set(ACTIONS))
    with app.test_request_context():
        with force_locale("en"):
            english = {code: action_phrase(code) for code in ACTIONS}
        for locale in ("ar", "fr"):
            with force_locale(locale):
                untranslated = [code for code in ACTIONS if action_phrase(code) == english[code]]
                assert not untranslated, (locale, untranslated)


def test_an_arabic_reader_sees_who_read_which_part_of_her_file_and_why(client, world, log):
    case_a, _ = log
    with as_user(world.cw_a):
        read_identity(world.cw_a, case_a)
        db.session.commit()
    as_auditor(client, world)
    client.post("/language", data={"lang": "ar", "csrf_token": csrf_token(client, "/")})
    page = client.get(f"/audit?case={case_a.case_number}&action=case.read").get_data(as_text=True)
    assert "اطلع على ملف" in page  # "read a file"
    assert "الاسم" in page and "رواية العنف" in page and "للعمل على الملف" in page  # fields and purpose, in words
    assert ">full_name<" not in page and "full_name, " not in page
    # The filter offers choices in words; codes stay in the CSV.
    assert re.search(r'<option [^>]*value="case.read"', page)
    csv_body = client.get(f"/audit/export.csv?case={case_a.case_number}").get_data(as_text=True)
    assert "case.read" in csv_body


def test_an_unknown_action_filter_is_refused_clearly(client, world):
    as_auditor(client, world)
    response = client.get("/audit?action=case.read%25")
    assert "Correct the filters to see events." in response.get_data(as_text=True)
