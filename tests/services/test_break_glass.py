"""Break-glass as an insider would try to abuse it: enumeration, an ineligible agency, an expired
window, a fourth read in a day, self-approval; and what the owning association and auditors see."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from referral.extensions import db
from referral.models import AuditEvent, Notification, OutboxEmail
from referral.models.base import utcnow
from referral.models.vocab import AgencyKind, Role, ServiceCategory
from referral.services import break_glass
from referral.services.erasure import shred_case
from tests.factories import IDENTITY, as_user, csrf_token, login, make_agency, make_case, make_user

NOTE = "Her brother-in-law Karim is outside the Hay Hassani pharmacy."


def _ask(client, *, name=IDENTITY["full_name"], column="phone", value=IDENTITY["phone"], reason="danger_now",
         note=NOTE):
    token = csrf_token(client, "/cases/emergency-access")
    return client.post("/cases/emergency-access", data={
        "full_name": name, "column": column, "value": value, "reason": reason, "note": note,
        "csrf_token": token})


def _switch(client, user):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, user)


def _events(action):
    return db.session.execute(db.select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).scalars().all()


def test_exact_identity_opens_the_file_for_an_hour_and_tells_her_association(client, world, clock):
    clock.move_to(utcnow(), tick=False)
    case = make_case(world.cw_b)
    login(client, world.officer_hospital)
    assert client.get(f"/cases/{case.id}").status_code == 404
    response = _ask(client)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert IDENTITY["full_name"] in page and IDENTITY["address"] in page

    grant = _events("case.break_glass_read")[0]
    # When it ends (an hour after the grant), on her agency's clock like every time the pages show.
    ends = (grant.occurred_at + timedelta(hours=1)).astimezone(ZoneInfo(world.hospital.timezone))
    notice = page[page.index('class="notice"'):][:400]
    assert ends.strftime("%H:%M") in notice and "UTC" not in notice and "بالتوقيت العالمي" not in notice
    assert grant.purpose == "break_glass" and grant.break_glass_reason == "danger_now"
    assert "full_name" in grant.fields and grant.actor_username == "officer.hospital"
    # The note is nowhere in clear in the access log, but her association can read it.
    log = json.dumps([[e.break_glass_reason, e.details, e.fields] for e in db.session.query(AuditEvent)],
                     ensure_ascii=False)
    assert "Karim" not in log and "Hay Hassani" not in log
    assert break_glass.note_of(grant) == NOTE
    told = db.session.execute(db.select(Notification).where(Notification.user_id == world.cw_b.id,
                                                            Notification.kind == "break_glass.read")).scalar_one()
    assert told.params["user"] == "officer.hospital" and told.params["reason"] == "danger_now"

    for _ in range(6):  # every ten minutes, so the session never idles out
        clock.shift(timedelta(minutes=9, seconds=50))
        assert client.get(f"/cases/emergency-access/{case.id}").status_code == 200
    # Her association sees who, when and why, with the note.
    _switch(client, world.cw_b)
    own = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "officer.hospital" in own and NOTE in own
    assert "هي في خطر داهم" in own  # the reason, in her language (Arabic by default)
    _switch(client, world.officer_hospital)
    clock.shift(timedelta(minutes=2))
    expired = client.get(f"/cases/emergency-access/{case.id}")
    assert expired.status_code == 403 and IDENTITY["full_name"] not in expired.get_data(as_text=True)
    denied = _events("access.denied")[-1]
    assert denied.details["answer"] == "expired" and denied.case_id == case.id


def test_emails_about_an_emergency_read_carry_no_survivor_data(client, world):
    world.cw_b.email = "cw.b@example.org"
    db.session.commit()
    make_case(world.cw_b)
    login(client, world.officer_hospital)
    assert _ask(client).status_code == 302
    mail = db.session.execute(db.select(OutboxEmail).where(OutboxEmail.to_address == "cw.b@example.org")) \
        .scalar_one()
    assert "officer.hospital" in mail.body
    for secret in (IDENTITY["full_name"], IDENTITY["phone"], "Karim"):
        assert secret not in mail.body and secret not in mail.subject


def test_enumeration_finds_nothing_and_leaves_a_trace(client, world):
    case = make_case(world.cw_b)
    login(client, world.officer_police)
    # A file number, a wrong name, a number without the name: nothing opens.
    for attempt in (dict(value=case.case_number), dict(name="فاطمة"), dict(value="0612345679")):
        response = _ask(client, **attempt)
        assert response.status_code == 422
        assert IDENTITY["address"] not in response.get_data(as_text=True)
    assert _events("case.break_glass_read") == []
    misses = [e for e in _events("access.denied") if e.details.get("action") == "case:break_glass"]
    assert [e.details["answer"] for e in misses] == ["invalid_phone", "no_exact_match", "no_exact_match"]
    assert all(e.actor_username == "officer.police" for e in misses)


def test_an_employment_agency_may_not_ask(client, world):
    employment = make_agency("EMPLOY", AgencyKind.PUBLIC_SERVICE, world.r1, [ServiceCategory.ECONOMIC])
    clerk = make_user("officer.employment", employment, Role.OFFICER)
    db.session.commit()
    make_case(world.cw_b)
    login(client, clerk)
    assert client.get("/cases/emergency-access").status_code == 403
    token = csrf_token(client, "/")
    response = client.post("/cases/emergency-access", data={
        "full_name": IDENTITY["full_name"], "column": "phone", "value": IDENTITY["phone"],
        "reason": "danger_now", "csrf_token": token})
    assert response.status_code == 403 and IDENTITY["address"] not in response.get_data(as_text=True)
    assert _events("case.break_glass_read") == []
    assert _events("access.denied")[-1].details["answer"] == "agency_not_eligible"


def test_a_fourth_read_in_a_day_needs_a_colleague_and_alerts_the_auditors(client, other_client, world,
                                                                         clock):
    clock.move_to(utcnow(), tick=False)
    files = [make_case(world.cw_b, phone=f"06123456{i:02d}") for i in range(4)]
    login(client, world.officer_police)
    for i in range(3):
        assert _ask(client, value=f"06123456{i:02d}").status_code == 302
        clock.shift(timedelta(minutes=5))
    fourth = _ask(client, value="0612345603")
    assert fourth.status_code == 302 and fourth.headers["Location"].endswith("/cases/emergency-access")
    assert client.get(f"/cases/emergency-access/{files[3].id}").status_code == 403
    alert = db.session.execute(db.select(Notification).where(Notification.user_id == world.auditor.id)) \
        .scalar_one()
    assert alert.kind == "break_glass.over_limit" and alert.params["user"] == "officer.police"
    request_id = _events("case.break_glass_request")[0].details["request_id"]

    # She cannot approve herself; a colleague of another agency cannot see or approve it.
    assert client.post(f"/cases/emergency-access/approvals/{request_id}",
                       data={"csrf_token": csrf_token(client, "/")}).status_code == 403
    login(other_client, world.officer_hospital)
    assert request_id not in other_client.get("/cases/emergency-access/approvals").get_data(as_text=True)
    assert other_client.post(f"/cases/emergency-access/approvals/{request_id}",
                             data={"csrf_token": csrf_token(other_client, "/")}).status_code == 404
    assert _events("case.break_glass_approve") == []

    colleague = make_user("officer.police.2", world.police, Role.OFFICER)
    db.session.commit()
    _switch(other_client, colleague)
    assert "officer.police" in other_client.get("/cases/emergency-access/approvals").get_data(as_text=True)
    assert other_client.post(f"/cases/emergency-access/approvals/{request_id}",
                             data={"csrf_token": csrf_token(other_client, "/")}).status_code == 302
    page = client.get(f"/cases/emergency-access/{files[3].id}")
    assert page.status_code == 200 and IDENTITY["full_name"] in page.get_data(as_text=True)
    # Approved once: a second approval (which would stretch the hour) is refused.
    assert other_client.post(f"/cases/emergency-access/approvals/{request_id}",
                             data={"csrf_token": csrf_token(other_client, "/")}).status_code == 404
    assert len(_events("case.break_glass_approve")) == 1

    # The count is a rolling day on the application's clock.
    assert break_glass.grants_today(world.officer_police) == 3
    clock.shift(timedelta(hours=23, minutes=50))
    assert break_glass.grants_today(world.officer_police) == 2
    clock.shift(timedelta(minutes=15))
    assert break_glass.grants_today(world.officer_police) == 0


def test_erasing_the_file_erases_the_note(client, world):
    case = make_case(world.cw_b)
    login(client, world.officer_hospital)
    assert _ask(client).status_code == 302
    shred_case(case.case_number)
    db.session.commit()
    assert break_glass.note_of(_events("case.break_glass_read")[0]) is None


def test_roles_that_never_read_identity_have_no_break_glass(client, world):
    make_case(world.cw_b)
    for user in (world.coordinator, world.auditor, world.admin):
        login(client, user)
        assert client.get("/cases/emergency-access").status_code == 403
        response = client.post("/cases/emergency-access", data={
            "full_name": IDENTITY["full_name"], "column": "phone", "value": IDENTITY["phone"],
            "reason": "danger_now", "csrf_token": csrf_token(client, "/")})
        assert response.status_code == 403
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_who_may_ask_follows_role_and_agency(world):
    employment = make_agency("EMPLOY", AgencyKind.PUBLIC_SERVICE, world.r1, [ServiceCategory.ECONOMIC])
    clerk = make_user("officer.employment", employment, Role.OFFICER)
    db.session.commit()
    answers = {user.username: break_glass.may_ask(user) for user in (
        world.cw_a, world.cw_b, world.officer_police, world.officer_hospital, clerk,
        world.coordinator, world.auditor, world.admin)}
    # cw.a's association offers psychosocial support only; cw.b's runs a shelter.
    assert answers == {"cw.a": False, "cw.b": True, "officer.police": True, "officer.hospital": True,
                       "officer.employment": False, "coord": False, "auditor": False, "admin": False}


def test_the_menu_offers_emergency_access_only_where_it_can_be_asked(client, other_client, world):
    login(client, world.cw_a)  # a psychosocial association: not an emergency service
    assert "/cases/emergency-access" not in client.get("/").get_data(as_text=True)
    login(other_client, world.officer_hospital)  # a hospital unit: may ask
    assert "/cases/emergency-access" in other_client.get("/").get_data(as_text=True)


def _in_threads(app, function, *args):
    """`function(*args)` in a thread's own app context, session and connection; its outcome."""
    def run():
        with app.app_context():
            try:
                outcome = function(*args)
                db.session.commit()
                return outcome
            except Exception as exc:  # noqa: BLE001 (the outcome is what the test compares)
                db.session.rollback()
                return type(exc).__name__
            finally:
                db.session.remove()
    return run


def test_requests_sent_together_never_pass_the_daily_limit(app, world, clock):
    """Six exact-identity requests released at the same instant by one officer who already had two
    grants today: one more is granted, the others wait for a colleague."""
    from referral.models import User
    from tests.factories import race

    clock.move_to(utcnow(), tick=False)
    for i in range(8):
        make_case(world.cw_b, phone=f"06123457{i:02d}")
    officer_id = world.officer_police.id
    with as_user(world.officer_police):
        for i in range(2):
            break_glass.request_access(world.officer_police, "phone", f"06123457{i:02d}", IDENTITY["full_name"],
                                       "danger_now", None)
    db.session.commit()

    def ask(i):
        user = db.session.get(User, officer_id)
        with as_user(user):
            return break_glass.request_access(user, "phone", f"06123457{i:02d}", IDENTITY["full_name"],
                                              "danger_now", None).granted

    outcomes = race([_in_threads(app, ask, i) for i in range(2, 8)])
    assert sorted(outcomes, key=str) == [False] * 5 + [True], outcomes
    db.session.expire_all()
    assert break_glass.grants_today(world.officer_police) == break_glass.DAILY_LIMIT
    assert len(_events("case.break_glass_request")) == 5


def test_two_colleagues_approving_together_give_one_approval(app, world, clock):
    from referral.models import User
    from tests.factories import race

    clock.move_to(utcnow(), tick=False)
    for i in range(4):
        make_case(world.cw_b, phone=f"06123458{i:02d}")
        with as_user(world.officer_police):
            break_glass.request_access(world.officer_police, "phone", f"06123458{i:02d}", IDENTITY["full_name"],
                                       "danger_now", None)
    colleagues = [make_user(f"officer.police.{n}", world.police, Role.OFFICER).id for n in (2, 3)]
    db.session.commit()
    request_id = _events("case.break_glass_request")[0].details["request_id"]

    def approve(user_id):
        user = db.session.get(User, user_id)
        with as_user(user):
            return break_glass.approve(user, request_id).case_number

    outcomes = race([_in_threads(app, approve, user_id) for user_id in colleagues])
    assert sorted(outcomes) == sorted(["InputError", _events("case.break_glass_request")[0].details[
        "case_number"]]), outcomes
    assert len(_events("case.break_glass_approve")) == 1


# --- who may ask is the administrator's decision -------------------------------------------------------


def _save_rules(client, rules, form_page="/admin/emergency-access"):
    return client.post("/admin/emergency-access", data={"rule": rules, "csrf_token": csrf_token(client, form_page)})


def test_the_admin_decides_which_agencies_and_roles_may_ask(client, other_client, world):
    from referral.services import emergency_rules

    employment = make_agency("EMPLOI", AgencyKind.PUBLIC_SERVICE, world.r1, [ServiceCategory.ECONOMIC])
    job_officer = make_user("officer.emploi", employment, Role.OFFICER)
    db.session.commit()
    assert break_glass.may_ask(world.officer_police) and not break_glass.may_ask(job_officer)

    login(client, world.admin)
    page = client.get("/admin/emergency-access").get_data(as_text=True)
    assert 'value="police_protection:officer" checked' in page and 'value="economic:officer">' in page
    assert 'href="/admin/emergency-access"' in client.get("/admin/users").get_data(as_text=True)
    # Police officers lose it, the employment agency's officers gain it.
    rules = sorted(f"{c.value}:{r.value}" for c, r in emergency_rules.DEFAULTS
                   if (c, r) != (ServiceCategory.POLICE_PROTECTION, Role.OFFICER))
    assert _save_rules(client, [*rules, "economic:officer"]).status_code == 302
    db.session.expire_all()
    assert not break_glass.may_ask(world.officer_police) and break_glass.may_ask(job_officer)
    change = _events("admin.emergency_rules_change")[0]
    assert change.details == {"added": ["economic:officer"], "removed": ["police_protection:officer"]}
    alert = db.session.execute(db.select(Notification).where(Notification.user_id == world.auditor.id)).scalar_one()
    assert alert.kind == "break_glass.rules_changed"

    login(other_client, world.officer_police)
    assert other_client.get("/cases/emergency-access").status_code == 403
    assert 'href="/cases/emergency-access"' not in other_client.get("/").get_data(as_text=True)
    # Saving the same rules again writes nothing.
    _save_rules(client, [*rules, "economic:officer"])
    assert len(_events("admin.emergency_rules_change")) == 1


@pytest.mark.parametrize("value", ["shelter:coordinator", "shelter:admin", "teleport:officer", "shelter"])
def test_roles_that_read_no_file_and_unknown_values_are_refused_and_change_nothing(client, world, value):
    from referral.services import emergency_rules

    login(client, world.admin)
    response = _save_rules(client, ["shelter:caseworker", value])
    assert response.status_code == 422
    assert emergency_rules.current_rules() == emergency_rules.DEFAULTS
    assert _events("admin.emergency_rules_change") == []


@pytest.mark.parametrize("who", ["cw_a", "officer_police", "coordinator", "auditor"])
def test_only_the_admin_opens_the_rules(client, world, who):
    from referral.services import emergency_rules

    login(client, getattr(world, who))
    assert client.get("/admin/emergency-access").status_code == 403
    assert _save_rules(client, ["economic:officer"], form_page="/").status_code == 403
    assert emergency_rules.current_rules() == emergency_rules.DEFAULTS
    assert [e.details["action"] for e in _events("access.denied")] == ["users:manage"] * 2


def test_the_api_offers_no_emergency_access(client, world):
    """Emergency access is a person's act on the pages (list of reasons, notice of what happens);
    an API client, even an eligible officer's, reads no file outside its scope, by any parameter."""
    from tests.api.conftest import bearer, token_for

    case = make_case(world.cw_b)
    token = token_for(world.officer_hospital)
    assert break_glass.may_ask(world.officer_hospital)
    for query in ("", "?break_glass_reason=danger_now", "?purpose=break_glass&reason=danger_now"):
        response = client.get(f"/api/v1/cases/{case.id}{query}", headers=bearer(token))
        assert response.status_code == 404 and IDENTITY["full_name"] not in response.get_data(as_text=True)
    found = client.post("/api/v1/cases/search", json={"column": "phone", "value": IDENTITY["phone"]},
                        headers=bearer(token))
    assert found.status_code == 403
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert paths and not [p for p in paths if "emergency" in p or "break" in p]
    assert _events("case.break_glass_read") == []
    assert len(_events("access.denied")) == 4
