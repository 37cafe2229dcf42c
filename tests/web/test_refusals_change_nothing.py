"""A refused action changes nothing (issue 15).

Every form of the web pages that can be refused is listed below, with a submission it refuses. A
refused submission answers 422 with the form and what was typed in it (or the right 4xx: 409 for a
stale version, 429 for a throttled login, 404 for another's record; a refusal told on another page
is a redirect with a message), and leaves every table as it was: no row version bumped, no
statistics, no notification, no email in the outbox, no audit event other than a denial or a
failure, which must be kept. The browser sessions and the login counters are the exceptions by
design: they are written apart from the request (see referral/lifecycle.py).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select

from referral.audit.log import DISCLOSURES
from referral.extensions import db
from referral.models import AuditEvent, Case, Consent, Holiday, LoginThrottle, Referral, SlaPolicy
from referral.models.vocab import AuditOutcome, Role, ServiceCategory, SlaClock, Urgency
from referral.services import cases as case_service
from referral.services.consents import withdraw_consent
from referral.services.risk import QUESTION_IDS
from referral.workflows.engine import fire
from tests.api.conftest import bearer, token_for
from tests.factories import (
    PASSWORD,
    World,
    as_user,
    consent_and_refer,
    csrf_token,
    login,
    make_case,
    make_user,
)

#: Written on purpose apart from the request's transaction, so they survive its rollback.
WRITTEN_APART = {"audit_events", "audit_chain_head", "user_sessions", "login_throttles"}


def table_contents() -> dict[str, list[str]]:
    """Every row of every table but those written apart: versions, statistics, notifications, outbox."""
    with db.engine.connect() as conn:
        return {table.name: sorted(repr(tuple(row)) for row in conn.execute(table.select()))
                for table in db.metadata.sorted_tables if table.name not in WRITTEN_APART}


def last_event_id() -> int:
    return db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))


def events_after(event_id: int) -> list[AuditEvent]:
    db.session.expire_all()
    return db.session.execute(select(AuditEvent).where(AuditEvent.id > event_id)).scalars().all()


# --- the submissions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    path: str
    data: dict
    #: A page that carries a CSRF token for this client (default: `path` itself).
    form_page: str | None = None


@dataclass(frozen=True)
class Refusal:
    name: str
    #: Who submits (a World attribute); None: a visitor at the login.
    who: str | None
    arrange: Callable[[World, object], Submission]
    status: int
    #: Text typed in the form that the answer must show again (None: nothing to show, or a redirect).
    typed: str | None = None
    #: The refusal leaves a denial or failure in the log.
    logged: bool = False
    extra: dict = field(default_factory=dict)


def _file_form(case=None, **overrides) -> dict:
    data = {"full_name": "Salma Bennani", "phone": "0611223344", "contact_instructions": "Mornings only",
            "address": "Derb Sultan, Casablanca", "national_id": "BE998877", "date_of_birth": "1992-03-04",
            "narrative": "Threatened with a knife by her husband.", "violence_type": "physical_assault",
            "age_band": "26-40", "region_id": "", "channel": "walk_in"}
    if case is not None:
        data["version"] = str(case.version)
    return data | overrides


def _police(world):
    return world.service(world.police, ServiceCategory.POLICE_PROTECTION)


def _referral(world, *actions):
    referral = consent_and_refer(world.cw_a, make_case(world.cw_a), _police(world))
    for action in actions:
        with as_user(world.officer_police):
            fire(referral, action, world.officer_police)
        db.session.commit()
    return referral


def _closed_case(world):
    case = make_case(world.cw_a)
    with as_user(world.cw_a):
        case_service.close_case(world.cw_a, case, "needs_met")
        db.session.commit()
    return case


def _withdrawn_consent(world):
    case = make_case(world.cw_a)
    referral = consent_and_refer(world.cw_a, case, _police(world))
    consent = db.session.execute(select(Consent).where(Consent.case_id == referral.case_id)).scalar_one()
    with as_user(world.cw_a):
        withdraw_consent(world.cw_a, case, consent)
        db.session.commit()
    return case, consent


def _policy_form(**overrides) -> dict:
    data = {"clock": SlaClock.BUSINESS.value, "acknowledge_amount": "1", "acknowledge_unit": "days",
            "decide_amount": "2", "decide_unit": "days", "first_action_amount": "5", "first_action_unit": "days",
            "complete_amount": "", "complete_unit": "days", "stalled_amount": "30", "stalled_unit": "days"}
    return data | overrides


def _pending_login(client, user):
    client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": csrf_token(client)})


def _unenrolled(world, client):
    user = make_user("new.officer", world.police, Role.OFFICER, enrolled=False)
    db.session.commit()
    _pending_login(client, user)
    client.get("/login/enrol")  # her secret is made and kept when the page is shown
    return Submission("/login/enrol", {"code": "000000"})


REFUSALS = [
    # Caseworker: files.
    Refusal("file search with an invalid phone", "cw_a",
            lambda w, c: Submission("/cases/", {"column": "phone", "q": "123"}), 422, 'value="123"'),
    Refusal("new file with an invalid phone", "cw_a",
            lambda w, c: Submission("/cases/new", _file_form(phone="12")), 422, "Derb Sultan"),
    Refusal("new file without her name", "cw_a",
            lambda w, c: Submission("/cases/new", _file_form(full_name="")), 422, "Derb Sultan"),
    Refusal("file edit with an invalid phone", "cw_a",
            lambda w, c: (case := make_case(w.cw_a)) and Submission(f"/cases/{case.id}/edit",
                                                                    _file_form(case, phone="12")), 422, "Derb Sultan"),
    Refusal("file edit without her name", "cw_a",
            lambda w, c: (case := make_case(w.cw_a)) and Submission(
                f"/cases/{case.id}/edit", _file_form(case, full_name="")), 422, "Derb Sultan"),
    Refusal("file edit of a version changed since", "cw_a",
            lambda w, c: (case := make_case(w.cw_a)) and Submission(
                f"/cases/{case.id}/edit", _file_form(case, version=str(case.version - 1))), 409, "Derb Sultan"),
    Refusal("risk raised without a reason", "cw_a",
            lambda w, c: (case := make_case(w.cw_a)) and Submission(
                f"/cases/{case.id}/risk", {f"q_{QUESTION_IDS[0]}": "y", "judged_level": "high", "judgement": ""}),
            422, 'selected value="high"'),
    Refusal("consent without an agency or a kind of service", "cw_a",
            lambda w, c: (case := make_case(w.cw_a)) and Submission(
                f"/cases/{case.id}/consents", {"scope": "agency", "agency_id": "", "fields": ["name"],
                                               "note": "Typed note"}, f"/cases/{case.id}"), 422, "Typed note"),
    Refusal("consent withdrawn twice", "cw_a",
            lambda w, c: (pair := _withdrawn_consent(w)) and Submission(
                f"/cases/{pair[0].id}/consents/{pair[1].id}/withdraw", {}, f"/cases/{pair[0].id}"), 302),
    Refusal("closing a file without a reason", "cw_a",
            lambda w, c: (case := make_case(w.cw_a)) and Submission(
                f"/cases/{case.id}/close", {"reason": "", "comment": "Typed comment"}, f"/cases/{case.id}"), 422,
            "Typed comment"),
    Refusal("closing a closed file", "cw_a",
            lambda w, c: (case := _closed_case(w)) and Submission(
                f"/cases/{case.id}/close", {"reason": "needs_met"}, f"/cases/{case.id}"), 422),
    Refusal("reopening an open file", "cw_a",
            lambda w, c: (case := make_case(w.cw_a)) and Submission(
                f"/cases/{case.id}/reopen", {"comment": "She called again"}, f"/cases/{case.id}"), 422),
    Refusal("reopening without saying why", "cw_a",
            lambda w, c: (case := _closed_case(w)) and Submission(
                f"/cases/{case.id}/reopen", {"comment": ""}, f"/cases/{case.id}"), 422),
    Refusal("an empty note on a file", "cw_a",
            lambda w, c: (case := make_case(w.cw_a)) and Submission(
                f"/cases/{case.id}/notes", {"body": ""}, f"/cases/{case.id}"), 422),
    Refusal("an attachment of a refused type", "cw_a",
            lambda w, c: (case := make_case(w.cw_a)) and Submission(
                f"/cases/{case.id}/attachments", {"file": (io.BytesIO(b"MZ\x90\x00"), "tool.exe")},
                f"/cases/{case.id}"), 302),
    # Emergency access: the failed lookup is kept in the log.
    Refusal("emergency access without an exact match", "officer_police",
            lambda w, c: Submission("/cases/emergency-access", {"full_name": "Typed Nobody", "column": "phone",
                                                                "value": "0600000001", "reason": "danger_now"}),
            422, "Typed Nobody", logged=True),
    # Referrals.
    Refusal("referral without her consent", "cw_a",
            lambda w, c: (case := make_case(w.cw_a)) and Submission(
                f"/referrals/new/{case.id}", {"need": "police_protection", "service_id": str(_police(w).id),
                                              "urgency": "urgent", "shared_fields": ["name"],
                                              "message": "Typed message"}), 422, "Typed message"),
    Refusal("decline without a reason", "officer_police",
            lambda w, c: (ref := _referral(w, "acknowledge")) and Submission(
                f"/referrals/{ref.id}/transition", {"action": "decline", "version": str(ref.version), "reason": "",
                                                    "message": "Typed message"}, f"/referrals/{ref.id}"),
            422),
    Refusal("transition of a version changed since", "officer_police",
            lambda w, c: (ref := _referral(w, "acknowledge")) and Submission(
                f"/referrals/{ref.id}/transition", {"action": "accept", "version": str(ref.version - 1)},
                f"/referrals/{ref.id}"), 409),
    Refusal("transition form incomplete", "officer_police",
            lambda w, c: (ref := _referral(w)) and Submission(
                f"/referrals/{ref.id}/transition", {"action": "", "version": ""}, f"/referrals/{ref.id}"), 302),
    # Hotline.
    Refusal("hotline report with an invalid phone", "cw_a",
            lambda w, c: Submission("/hotline/report", {
                "phone": "12", "address": "Typed bus station", "region_id": str(w.r1.id),
                "violence_type": "physical_assault", "service_id": str(_police(w).id), "consent": "y"}),
            422, "Typed bus station"),
    Refusal("hotline support without a service", "cw_a",
            lambda w, c: Submission("/hotline/support", {"address": "Typed bus station", "region_id": str(w.r1.id),
                                                         "need": "legal", "service_id": "", "consent": "y"}),
            422, "Typed bus station"),
    # Accounts.
    Refusal("new account with a username taken", "admin",
            lambda w, c: Submission("/admin/users/new", {"username": "cw.a", "display_name": "Typed Colleague",
                                                         "agency_id": str(w.assoc_a.id), "roles": ["caseworker"]}),
            422, "Typed Colleague"),
    Refusal("asking again for a change that waits for a lead", "admin", lambda w, c: _asked_already(w), 302),
    Refusal("making a network account a lead", "admin",
            lambda w, c: Submission(f"/admin/users/{w.coordinator.id}/lead", {}, f"/admin/users/{w.coordinator.id}"),
            302),
    Refusal("emergency access rules naming a role that reads no file", "admin",
            lambda w, c: Submission("/admin/emergency-access", {"rule": ["shelter:officer", "shelter:auditor"]}),
            422),
    Refusal("disabling one's own account", "admin",
            lambda w, c: Submission(f"/admin/users/{w.admin.id}/disable", {}, f"/admin/users/{w.admin.id}"), 302),
    Refusal("password change with a wrong current password", "cw_a",
            lambda w, c: Submission("/account/password", {
                "current_password": "not-her-password", "new_password": "a long new sentence to remember",
                "confirm_password": "a long new sentence to remember"}), 422),
    Refusal("revoking another's session", "cw_a",
            lambda w, c: Submission("/account/sessions/2147483000/revoke", {}, "/account"), 404, logged=True),
    Refusal("login with a wrong password", None,
            lambda w, c: Submission("/login", {"username": "cw.a", "password": "wrong-password-1"}),
            422, 'value="cw.a"', logged=True),
    Refusal("second factor with a wrong code", None,
            lambda w, c: _pending_login(c, w.cw_a) or Submission("/login/verify", {"code": "000000"}),
            422, logged=True),
    Refusal("enrolment with a wrong code", None, _unenrolled, 422),
    # Directory and time limits.
    Refusal("agency with a code taken", "coordinator",
            lambda w, c: Submission("/directory/agencies/new", {
                "code": "POLICE", "kind": "public_service", "sector": "police", "name_ar": "Typed agency",
                "name_fr": "Typed agency", "name_en": "Typed agency", "timezone": "Africa/Casablanca",
                "hours_0": "08:30-16:30", "active": "y"}), 422, "Typed agency"),
    Refusal("service without a name", "coordinator",
            lambda w, c: Submission(f"/directory/agencies/{w.assoc_a.id}/services/new", {
                "category": "legal", "name_ar": "", "name_fr": "Typed service", "name_en": "Typed service",
                "regions": [str(w.r1.id)], "active": "y"}), 422, "Typed service"),
    Refusal("holiday on a day already taken", "coordinator",
            lambda w, c: _holiday_taken(w), 422, "Typed holiday"),
    Refusal("time limit left empty", "coordinator",
            lambda w, c: Submission(f"/sla-policies/{_policy(Urgency.URGENT).id}",
                                    _policy_form(acknowledge_amount="", decide_amount="17")), 422, 'value="17"'),
    Refusal("time limits for a kind that has them", "coordinator",
            lambda w, c: Submission("/sla-policies/new", _policy_form(urgency="urgent", service_category="",
                                                                      decide_amount="3")), 422, 'value="3"'),
    # Coordinator's nudges.
    Refusal("reminder about a referral not overdue", "coordinator",
            lambda w, c: (ref := _referral(w)) and Submission(
                f"/dashboard/referrals/{ref.id}/remind", {}, f"/dashboard/referrals/{ref.id}"), 302),
    Refusal("sending on a referral not declined", "coordinator",
            lambda w, c: (ref := _referral(w)) and Submission(
                f"/dashboard/referrals/{ref.id}/reassign",
                {"service_id": str(w.service(w.assoc_b, ServiceCategory.LEGAL).id)},
                f"/dashboard/referrals/{ref.id}"), 422),
    # Her plan, and closing her file.
    Refusal("goal served by another file's referral", "cw_a",
            lambda w, c: (case := make_case(w.cw_a)) and (other := _referral(w)) and Submission(
                f"/cases/{case.id}/goals", {"area": "legal", "goal": "Typed goal", "by_whom": "referral",
                                            "referral_id": str(other.id)}, f"/cases/{case.id}"), 422, "Typed goal"),
    Refusal("goal edited on an older version", "cw_a",
            lambda w, c: (goal := _goal(w, edits=1)) and Submission(
                f"/cases/{goal.case_id}/goals/{goal.id}", {"area": "legal", "goal": "Typed goal", "version": "1",
                                                           "by_whom": "association"}), 409, "Typed goal"),
    Refusal("closing a file with open goals and no word why", "cw_a",
            lambda w, c: (goal := _goal(w)) and Submission(
                f"/cases/{goal.case_id}/close", {"reason": "needs_met", "services_received": ["legal"]},
                f"/cases/{goal.case_id}"), 422),
    # The awareness library.
    Refusal("library article at an address taken", "coordinator",
            lambda w, c: _library_article(w) and Submission(
                "/library/manage/new/article", _library_form(body_markdown="Typed article text")),
            422, "Typed article text"),
    Refusal("library article edited on an older version", "coordinator",
            lambda w, c: (item := _library_article(w, edits=1)) and Submission(
                f"/library/manage/{item.id}", _library_form(version="1", body_markdown="Typed article text")),
            409, "Typed article text"),
    Refusal("library document that is not a PDF", "coordinator",
            lambda w, c: Submission("/library/manage/new/document", _library_form(
                slug="guide", title="Typed guide", body_markdown=None,
                document=(io.BytesIO(b"<html><script>x</script>"), "guide.pdf"))), 422, "Typed guide"),
    Refusal("deleting a published library page", "coordinator",
            lambda w, c: (item := _library_article(w, published=True)) and Submission(
                f"/library/manage/{item.id}/delete", {"version": str(item.version)}, "/library/manage"), 302),
    Refusal("library article by a caseworker", "cw_a",
            lambda w, c: Submission("/library/manage/new/article", _library_form(), "/"), 403, logged=True),
]


def _goal(world, *, edits: int = 0):
    from referral.services import plan

    case = make_case(world.cw_a)
    values = {"area": "legal", "goal": "First words", "by_whom": "association"}
    with as_user(world.cw_a):
        goal = plan.add_goal(world.cw_a, case, values)
        for number in range(edits):
            plan.update_goal(world.cw_a, case, goal.id, values | {"goal": f"Edit {number}"},
                             expected_version=goal.version)
        db.session.commit()
    return goal


def _library_form(**overrides) -> dict:
    data = {"title": "Vos droits", "slug": "vos-droits", "language": "fr", "topic": "rights", "summary": "",
            "body_markdown": "Le texte."} | overrides
    return {k: v for k, v in data.items() if v is not None}


def _library_article(world, *, edits: int = 0, published: bool = False):
    from referral.services import library

    item = library.save_item(world.coordinator, None, _library_form(), kind="article")
    for number in range(edits):
        library.save_item(world.coordinator, item, _library_form(title=f"Edit {number}"),
                          expected_version=item.version)
    if published:
        library.set_published(world.coordinator, item, True, item.version)
    db.session.commit()
    return item


def _asked_already(world) -> Submission:
    from referral.models.vocab import AccountChange
    from referral.services.admin import request_change

    request_change(world.admin, world.cw_a, AccountChange.RESET_PASSWORD)
    db.session.commit()
    page = f"/admin/users/{world.cw_a.id}"
    return Submission(f"{page}/password/reset", {}, page)


def _holiday_taken(world) -> Submission:
    from datetime import date

    db.session.add(Holiday(day=date(2031, 1, 1), name="New year"))
    db.session.commit()
    return Submission("/directory/holidays", {"day": "2031-01-01", "name": "Typed holiday", "region_id": "",
                                              "agency_id": ""})


def _policy(urgency: Urgency) -> SlaPolicy:
    return db.session.execute(select(SlaPolicy).where(SlaPolicy.urgency == urgency,
                                                      SlaPolicy.service_category.is_(None))).scalar_one()


@pytest.mark.parametrize("refusal", REFUSALS, ids=[r.name for r in REFUSALS])
def test_a_refused_submission_changes_nothing(client, world, refusal):
    if refusal.who is not None:
        login(client, getattr(world, refusal.who))
    submission = refusal.arrange(world, client)
    data = submission.data | {"csrf_token": csrf_token(client, submission.form_page or submission.path)}
    before, first_event = table_contents(), last_event_id()

    response = client.post(submission.path, data=data, content_type="multipart/form-data")

    assert response.status_code == refusal.status, response.get_data(as_text=True)[:3000]
    html = response.get_data(as_text=True)
    if refusal.typed is not None:
        assert refusal.typed in html
    if refusal.status in (409, 422, 429):
        assert "</html>" in html and "<form" in html  # the normal page, not a bare error
    assert table_contents() == before
    new_events = events_after(first_event)
    # Nothing but the refusal itself, and what the page it answers with showed of the file: who read
    # what never depends on whether her submission was accepted.
    assert all(e.outcome in (AuditOutcome.DENIED, AuditOutcome.FAILURE) or e.action in DISCLOSURES
               for e in new_events), [(e.action, e.outcome) for e in new_events]
    if refusal.logged:
        assert [e for e in new_events if e.action not in DISCLOSURES], "the refusal must stay in the access log"


REDIRECTED = [r for r in REFUSALS if r.status == 302]


@pytest.mark.parametrize("refusal", REDIRECTED, ids=[r.name for r in REDIRECTED])
def test_a_refusal_told_on_another_page_keeps_its_message(client, world, refusal):
    """The message is in the browser session, saved after the request's rollback."""
    login(client, getattr(world, refusal.who))
    submission = refusal.arrange(world, client)
    data = submission.data | {"csrf_token": csrf_token(client, submission.form_page)}
    response = client.post(submission.path, data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="flash flash-error"' in page, page[:3000]


# --- the reported case ------------------------------------------------------------------------------


def test_invalid_phone_on_the_file_edit_form_then_the_corrected_form_is_saved(client, world):
    """Issue 15: the refused edit bumped the version, so the corrected one met a false conflict."""
    case = make_case(world.cw_a)
    version = case.version
    login(client, world.cw_a)
    token = csrf_token(client, f"/cases/{case.id}/edit")

    refused = client.post(f"/cases/{case.id}/edit", data=_file_form(case, phone="12") | {"csrf_token": token})
    assert refused.status_code == 422
    assert db.session.get(Case, case.id).version == version

    corrected = client.post(f"/cases/{case.id}/edit", data=_file_form(case, phone="0611223344")
                            | {"version": str(version), "csrf_token": token})
    assert corrected.status_code == 302, corrected.get_data(as_text=True)[:2000]
    assert db.session.get(Case, case.id).version == version + 1


def test_a_refused_login_still_counts(client, world):
    """The login answers 422 and rolls back, but the guess is counted apart (services.throttle)."""
    response = client.post("/login", data={"username": "cw.a", "password": "wrong-password-1",
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 422
    assert db.session.scalar(select(func.max(LoginThrottle.failures))) >= 1
    assert any(e.action == "login.password_failed" for e in events_after(0))


# --- the API: the same refusals, answered with problem+json, change nothing either -------------------


def test_an_api_file_update_with_an_invalid_phone_changes_nothing(client, world):
    case = make_case(world.cw_a)
    version = case.version
    headers = bearer(token_for(world.cw_a), **{"If-Match": f'"{version}"'})
    before, first_event = table_contents(), last_event_id()
    response = client.patch(f"/api/v1/cases/{case.id}", json={"phone": "12"}, headers=headers)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert table_contents() == before
    assert events_after(first_event) == []
    corrected = client.patch(f"/api/v1/cases/{case.id}", json={"phone": "0611223344"}, headers=headers)
    assert corrected.status_code == 200, corrected.get_data(as_text=True)
    assert db.session.get(Case, case.id).version == version + 1


def test_an_api_referral_refused_for_consent_changes_nothing(client, world):
    case = make_case(world.cw_a)
    headers = bearer(token_for(world.cw_a))
    before, first_event = table_contents(), last_event_id()
    response = client.post(f"/api/v1/cases/{case.id}/referrals", headers=headers,
                           json={"service_id": _police(world).id, "urgency": "urgent", "shared_fields": ["name"]})
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    assert table_contents() == before
    assert all(e.outcome != AuditOutcome.SUCCESS for e in events_after(first_event))
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 0
