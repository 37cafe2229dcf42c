"""Small factories and a standard test network: two associations, public services, every role."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import event as sa_event

from referral.audit.context import Actor, acting_as
from referral.extensions import db
from referral.models import Agency, Breach, Holiday, Region, Service, SlaPolicy, User
from referral.models.base import utcnow
from referral.models.vocab import AgencyKind, Role, ServiceCategory, SharedField
from referral.services import accounts, admin
from referral.stats import daily_stats
from referral.workflows.sla import DEFAULT_POLICIES

PASSWORD = "correct horse battery staple"

#: app.extensions key set by conftest: the superuser's engine on PostgreSQL (None on SQLite).
ADMIN_ENGINE = "masar.test.admin_engine"
ALL_FIELDS = [f.value for f in SharedField]

__all__ = ["CSRF_RE", "World", "world", "make_agency", "make_user", "login", "totp_now", "next_totp", "PASSWORD",
           "ALL_FIELDS", "as_user", "csrf_token", "make_case", "consent_and_refer", "national_holidays",
           "race", "insider_engine", "insider_sql"]


def insider_engine():
    """A connection as a database administrator has it (superuser on PostgreSQL): past grants and
    able to switch the append-only triggers off. The app's own role is not."""
    from flask import current_app

    return current_app.extensions.get(ADMIN_ENGINE) or db.engine


def insider_sql(*statements, **params) -> None:
    """Raw SQL as a database administrator runs it, the append-only triggers switched off."""
    from sqlalchemy import text

    with insider_engine().begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            conn.execute(text(statement), params)


def chain_all() -> int:
    """Commit, then link every committed event into the access log's chain, as the scheduler's
    sequencer does every few seconds; how many were linked."""
    from referral.audit.sequencer import chain_pending

    db.session.commit()
    chained = chain_pending()
    db.session.commit()
    return chained


def keep_chaining(app, stop, errors: list) -> None:
    """A thread's target: the sequencer run again and again until `stop` is set, as a busy
    scheduler would; what it raises goes to `errors` (re-raised by the test)."""
    from referral.audit.sequencer import chain_pending

    try:
        with app.app_context():
            while not stop.is_set():
                chain_pending()
                db.session.commit()
    except BaseException as exc:  # noqa: BLE001
        errors.append(exc)


def make_region(code="R1", name="Region one") -> Region:
    region = Region(code=code, name_ar=name, name_fr=name, name_en=name)
    db.session.add(region)
    db.session.flush()
    return region


def make_agency(code, kind=AgencyKind.ASSOCIATION, region=None, categories=(), open_24_7=False) -> Agency:
    agency = Agency(code=code, kind=kind, sector=kind.value, name_ar=f"{code} ar", name_fr=f"{code} fr",
                    name_en=f"{code} en", region_id=region.id if region else None, open_24_7=open_24_7)
    db.session.add(agency)
    db.session.flush()
    for category in categories:
        service = Service(agency_id=agency.id, category=category, name_ar=f"{category} ar",
                          name_fr=f"{category} fr", name_en=f"{category} en")
        if region:
            service.regions = [region]
        db.session.add(service)
    db.session.flush()
    return agency


def make_user(username, agency, *roles, region=None, enrolled=True, email=None) -> User:
    user, _ = admin.new_user(username=username, display_name=username.title(), agency=agency, roles=set(roles),
                             region_id=region.id if region else None, password=PASSWORD,
                             must_change_password=False, email=email)
    if enrolled:
        user._test_totp_secret = accounts.begin_enrolment(user)
        user.totp_confirmed_at = utcnow()
    db.session.flush()
    return user


def totp_now(user: User, offset_steps: int = 0) -> str:
    secret = accounts.totp_secret(user)
    totp = pyotp.TOTP(secret)
    return totp.at(utcnow() + timedelta(seconds=30 * offset_steps))


def next_totp(user: User) -> str:
    """A code the server has not accepted yet: codes are single-use, so a second login within
    the same 30 seconds uses the next step (inside the accepted clock-drift window)."""
    db.session.expire(user)
    current = int(utcnow().timestamp()) // 30
    step = current if user.totp_last_step is None or user.totp_last_step < current else user.totp_last_step + 1
    assert step <= current + 1, "more than two logins of one user within 30 seconds"
    return pyotp.TOTP(accounts.totp_secret(user)).at(step * 30)


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client, path="/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def login(client, user: User, password: str = PASSWORD):
    """The real two-step login through the pages, as a person does it."""
    token = csrf_token(client)
    response = client.post("/login", data={"username": user.username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    token = csrf_token(client, "/login/verify")
    response = client.post("/login/verify", data={"code": next_totp(user), "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def as_user(user: User):
    return acting_as(Actor(user_id=user.id, username=user.username, agency_id=user.agency_id,
                           roles=tuple(sorted(r.value for r in user.roles)), channel="test"))


@dataclass
class World:
    r1: Region
    r2: Region
    assoc_a: Agency
    assoc_b: Agency
    police: Agency
    hospital: Agency
    network: Agency
    cw_a: User
    cw_b: User
    officer_police: User
    officer_hospital: User
    coordinator: User
    regional_coordinator: User
    auditor: User
    admin: User

    def service(self, agency: Agency, category: ServiceCategory) -> Service:
        return next(s for s in agency.services if s.category == category)


@pytest.fixture
def world() -> World:
    r1, r2 = make_region("R1", "Region one"), make_region("R2", "Region two")
    assoc_a = make_agency("ASSOC-A", AgencyKind.ASSOCIATION, r1, [ServiceCategory.PSYCHOSOCIAL])
    assoc_b = make_agency("ASSOC-B", AgencyKind.ASSOCIATION, r1, [ServiceCategory.LEGAL, ServiceCategory.SHELTER])
    police = make_agency("POLICE", AgencyKind.PUBLIC_SERVICE, r1, [ServiceCategory.POLICE_PROTECTION])
    hospital = make_agency("HOSPITAL", AgencyKind.PUBLIC_SERVICE, r2,
                           [ServiceCategory.MEDICAL, ServiceCategory.POST_RAPE_CARE], open_24_7=True)
    network = admin.network_agency()
    for urgency, values in DEFAULT_POLICIES.items():
        db.session.add(SlaPolicy(urgency=urgency, service_category=None, **values))
    w = World(
        r1=r1, r2=r2, assoc_a=assoc_a, assoc_b=assoc_b, police=police, hospital=hospital, network=network,
        cw_a=make_user("cw.a", assoc_a, Role.CASEWORKER, email="cw.a@example.org"),
        cw_b=make_user("cw.b", assoc_b, Role.CASEWORKER),
        officer_police=make_user("officer.police", police, Role.OFFICER, email="police@example.org"),
        officer_hospital=make_user("officer.hospital", hospital, Role.OFFICER),
        coordinator=make_user("coord", network, Role.COORDINATOR),
        regional_coordinator=make_user("coord.r2", network, Role.COORDINATOR, region=r2),
        auditor=make_user("auditor", network, Role.AUDITOR),
        admin=make_user("admin", network, Role.ADMIN),
    )
    db.session.commit()
    return w


@pytest.fixture
def national_holidays() -> list:
    """The national holidays of the demo data around the test's clock: with them, the tests that
    build their data relative to now meet a holiday whenever the clock is set near one."""
    from referral.demo_data import holiday_dates

    year = utcnow().year
    days = [Holiday(day=day, name=name) for day, name in holiday_dates((year - 1, year, year + 1))]
    db.session.add_all(days)
    db.session.commit()
    return days


IDENTITY = {
    "full_name": "فاطمة الزهراء بنعلي",
    "phone": "0612345678",
    "address": "12 زنقة الورود، الدار البيضاء",
    "contact_instructions": "Call only in the morning",
    "national_id": "BK123456",
    "date_of_birth": "1990-04-02",
    "narrative": "Beaten by her husband; afraid to go home.",
}


def make_case(user: User, **identity):
    from referral.services.cases import open_case

    values = dict(IDENTITY)
    values.update(identity)
    with as_user(user):
        case, duplicates = open_case(user, values, {"region_id": user.agency.region_id})
        db.session.commit()
    case._duplicates = duplicates
    return case


def consent_and_refer(user: User, case, service: Service, *, fields=("name", "contact"), urgency="urgent",
                      **kwargs):
    from referral.services.consents import record_consent
    from referral.services.referrals import create_referral

    with as_user(user):
        record_consent(user, case, fields=list(fields), agency_id=service.agency_id)
        referral = create_referral(user, case, service=service, urgency=urgency, shared_fields=list(fields),
                                   **kwargs)
        db.session.commit()
    return referral


def record_breach(referral, kind, when) -> Breach:
    """What the SLA sweep records when one timer of `referral` is breached at `when` (the breach row
    and the daily statistics), without its audit events and notifications; committed."""
    timer = next(t for t in referral.timers if t.kind == kind)
    breach = Breach(timer_id=timer.id, referral_id=referral.id, kind=kind, due_at=timer.due_at, breached_at=when)
    db.session.add(breach)
    daily_stats.first_breaches({referral.id: [timer.id]}, when)
    db.session.commit()
    return breach


@contextlib.contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements sent to the database inside the block."""
    sent: list[str] = []

    def listener(conn, cursor, statement, *args):
        sent.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield sent
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", listener)


def race(functions):
    """Run the functions in threads released together by a barrier; their results, in order."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def run(index, function):
        barrier.wait()
        results[index] = function()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results
