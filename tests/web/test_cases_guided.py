"""Guided file work (issue 21, parts 6 and 7): the file page shows the next steps with her in order
and makes the next one its main button; a refused form comes back at the field that fixes it, with a
summary of errors, what she typed and nothing saved; the printable summary holds what the viewer may
see and no form, and is in the access log as a print."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from referral.extensions import db
from referral.models import AuditEvent, Case, Consent, Referral
from referral.models.vocab import CaseStatus, ServiceCategory
from referral.services.assessments import assess_risk
from referral.services.consents import record_consent
from referral.services.risk import QUESTION_IDS
from tests.factories import IDENTITY, as_user, consent_and_refer, csrf_token, login, make_case

REFER = "/referrals/new/{}"
PRIMARY_RE = re.compile(r'<a class="button primary" href="([^"]+)">')


def _primary(html: str) -> str:
    found = PRIMARY_RE.findall(html)
    assert len(found) == 1, found
    return found[0]


def _steps(html: str) -> list[tuple[str, str]]:
    section = html.split('id="h-next"', 1)[1].split("</section>", 1)[0] if 'id="h-next"' in html else ""
    return re.findall(r'<li class="(done|todo)">\s*<span class="badge (?:ok|warn)">[^<]*</span>'
                      r'\s*(?:<a href="([^"]*)")?', section)


def test_the_next_steps_lead_from_consent_to_risk_to_referral(client, world):
    case = make_case(world.cw_a)
    login(client, world.cw_a)

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert [state for state, _ in _steps(page)] == ["todo", "todo", "todo"]
    assert _primary(page) == "#consent"  # not "Refer" before any consent exists
    assert '<details open>' in page  # the consent form is open while none is recorded

    with as_user(world.cw_a):
        record_consent(world.cw_a, case, fields=["name"], agency_id=world.police.id)
    db.session.commit()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert [state for state, _ in _steps(page)] == ["done", "todo", "todo"]
    assert _primary(page) == f"/cases/{case.id}/risk"

    with as_user(world.cw_a):
        assess_risk(world.cw_a, case, {q: False for q in QUESTION_IDS})
    db.session.commit()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert [state for state, _ in _steps(page)] == ["done", "done", "todo"]
    assert _primary(page) == REFER.format(case.id)

    consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    db.session.commit()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'id="h-next"' not in page  # everything done: the panel gives way to the file


def test_recipients_and_closed_files_get_no_steps(client, world):
    case = make_case(world.cw_a)
    consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    db.session.commit()
    login(client, world.officer_police)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'id="h-next"' not in page and "button primary" not in page


def _post_on_file(client, case, path, data):
    token = csrf_token(client, f"/cases/{case.id}")
    return client.post(f"/cases/{case.id}/{path}", data=data | {"csrf_token": token})


def _events(action: str, case: Case) -> list[AuditEvent]:
    return db.session.execute(select(AuditEvent).where(AuditEvent.action == action,
                                                       AuditEvent.case_id == case.id)).scalars().all()


def test_a_refused_consent_comes_back_at_its_field_with_a_summary_and_nothing_saved(client, world):
    case = make_case(world.cw_a)
    login(client, world.cw_a)
    token = csrf_token(client, f"/cases/{case.id}")
    reads_before = len(_events("case.read", case))

    response = client.post(f"/cases/{case.id}/consents", data={
        "csrf_token": token, "scope": "category", "service_category": "", "fields": ["name"],
        "note": "She agreed by phone"})

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    summary = html.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert 'id="error-summary" role="alert" tabindex="-1"' in html  # focused by forms.js, read first
    assert re.search(r'<a href="#(scope|service_category|agency_id)">', summary), summary
    assert "She agreed by phone" in html  # what she typed
    assert 'aria-invalid="true"' in html
    assert db.session.scalar(select(func.count()).select_from(Consent)) == 0
    assert _events("consent.record", case) == []
    # The page that came back showed her identity: that read is in the log, refused or not.
    assert len(_events("case.read", case)) == reads_before + 1


def test_closing_without_a_reason_keeps_the_comment_and_the_file_open(client, world):
    case = make_case(world.cw_a)
    login(client, world.cw_a)
    response = _post_on_file(client, case, "close", {"reason": "", "comment": "She moved away"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "She moved away" in html and '<a href="#reason">' in html
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == CaseStatus.OPEN


def test_a_decline_without_a_reason_marks_the_reason_and_keeps_the_comment(client, world):
    case = make_case(world.cw_a)
    referral = consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    db.session.commit()
    version = referral.version
    login(client, world.officer_police)
    token = csrf_token(client, f"/referrals/{referral.id}")
    response = client.post(f"/referrals/{referral.id}/transition",
                           data={"csrf_token": token, "action": "decline", "version": version, "reason": "",
                                 "message": "No officer free tonight"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'<select id="reason-decline" name="reason" aria-invalid="true"', html)
    assert 'id="reason-decline-err"' in html and '<a href="#reason-decline">' in html
    assert "No officer free tonight" in html
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).version == version


def test_a_referral_without_consent_is_told_at_the_consent_box(client, world):
    case = make_case(world.cw_a)
    service = world.service(world.police, ServiceCategory.POLICE_PROTECTION)
    login(client, world.cw_a)
    path = f"/referrals/new/{case.id}?need=police_protection"
    token = csrf_token(client, path)
    response = client.post(path, data={"csrf_token": token, "need": "police_protection", "service_id": service.id,
                                       "urgency": "urgent", "shared_fields": ["name"], "message": "Typed"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<a href="#record_consent">' in html
    assert 'id="record_consent-err"' in html and 'id="service_id-err"' not in html


# --- the printable summary ----------------------------------------------------------------------------


def _summary_part(html: str) -> str:
    return html.split('<div class="print-summary">', 1)[1]


def test_the_owner_prints_the_whole_file_without_forms_and_the_print_is_logged(client, world):
    case = make_case(world.cw_a)
    login(client, world.cw_a)
    response = client.get(f"/cases/{case.id}/summary")
    assert response.status_code == 200
    part = _summary_part(response.get_data(as_text=True))
    assert IDENTITY["full_name"] in part and IDENTITY["narrative"] in part
    assert "<form" not in part and "<button" not in part and "<input" not in part
    printed = [e for e in _events("case.read", case) if e.purpose == "print"]
    assert len(printed) == 1 and "narrative" in printed[0].fields


def test_a_recipient_prints_only_what_her_consent_shares(client, world):
    case = make_case(world.cw_a)
    consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION),
                      fields=("name",))
    db.session.commit()
    login(client, world.officer_police)
    part = _summary_part(client.get(f"/cases/{case.id}/summary").get_data(as_text=True))
    assert IDENTITY["full_name"] in part
    for hidden in ("phone", "address", "narrative", "national_id"):
        assert IDENTITY[hidden] not in part, hidden
    assert "Informed consent" not in part and "الموافقة المستنيرة" not in part  # the owner's matters


@pytest.mark.parametrize("who", ["cw_b", "officer_hospital", "coordinator", "auditor", "admin"])
def test_no_one_else_prints_her_file(client, world, who):
    case = make_case(world.cw_a)
    login(client, getattr(world, who))
    response = client.get(f"/cases/{case.id}/summary")
    assert response.status_code in (403, 404)
    assert IDENTITY["full_name"] not in response.get_data(as_text=True)
    assert [e for e in _events("case.read", case) if e.purpose == "print"] == []


# --- dates day first -----------------------------------------------------------------------------------


def test_a_birth_date_is_typed_day_first_and_shown_in_words(client, world):
    from tests.web.test_referrals_journey import open_file_through_form

    login(client, world.cw_a)
    form = client.get("/cases/new").get_data(as_text=True)
    birth_input = re.search(r'<input[^>]*id="date_of_birth"[^>]*>', form).group(0)
    assert 'inputmode="numeric"' in birth_input and 'type="date"' not in birth_input  # the order is stated
    opened = open_file_through_form(client, date_of_birth="04/03/1992", incident_date="28/02/2027")
    assert opened.status_code == 302, opened.get_data(as_text=True)[:2000]
    page = client.get(opened.headers["Location"]).get_data(as_text=True)
    assert "4 مارس 1992" in page and "28 فبراير 2027" in page  # 4 March, never 3 April
    case_id = opened.headers["Location"].rsplit("/", 1)[1]
    edit = client.get(f"/cases/{case_id}/edit").get_data(as_text=True)
    assert 'value="04/03/1992"' in edit  # shown back as it is typed


def test_a_month_first_date_is_refused_at_its_field(client, world):
    from tests.web.test_referrals_journey import open_file_through_form

    login(client, world.cw_a)
    refused = open_file_through_form(client, date_of_birth="12/31/1992")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="date_of_birth-err"' in html and '<a href="#date_of_birth">' in html
    assert 'value="12/31/1992"' in html


def test_the_time_of_an_assault_is_typed_day_first_in_the_agencys_zone(client, world):
    from zoneinfo import ZoneInfo

    from referral.models import Service

    case = make_case(world.cw_a)
    service = world.service(world.hospital, ServiceCategory.POST_RAPE_CARE)
    login(client, world.cw_a)
    path = f"/referrals/new/{case.id}?need=post_rape_care"
    form = client.get(path).get_data(as_text=True)
    assert 'type="datetime-local"' not in form  # a native picker would show the browser's order
    data = {"csrf_token": csrf_token(client, path), "need": "post_rape_care", "service_id": service.id,
            "urgency": "emergency", "shared_fields": ["name"], "record_consent": "y", "assault_at": "04/03/2027 22:15"}
    sent = client.post(path, data=data)
    assert sent.status_code == 302, sent.get_data(as_text=True)[:3000]
    referral = db.session.execute(select(Referral).where(Referral.case_id == case.id)).scalar_one()
    agency = db.session.get(Service, service.id).agency
    zone = ZoneInfo(agency.timezone or client.application.config["DEFAULT_TIMEZONE"])
    assert referral.assault_at.astimezone(zone).strftime("%d/%m/%Y %H:%M") == "04/03/2027 22:15"  # 4 March

    refused = client.post(path, data=data | {"assault_at": "03/31/2027 22:15", "csrf_token": csrf_token(client, path)})
    assert refused.status_code == 422 and 'id="assault_at-err"' in refused.get_data(as_text=True)
