"""Demo data: a fictional referral network with accounts and ~200 files at every stage.

Everything goes through the real services and the workflow engine, so the demo exercises the
same rules (consent, policy, timers, audit) as real use. Refuses to run in production.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from . import demo_data as data
from .audit.context import Actor, acting_as
from .extensions import db
from .models import Agency, Case, Holiday, LibraryItem, Region, Service, SlaPolicy, User
from .models.base import utcnow
from .models.vocab import (
    AgeBand,
    AgencyKind,
    CaseStatus,
    IncidentPlace,
    IntakeChannel,
    PerpetratorRelationship,
    ReferralStatus,
    Role,
    ServiceCategory,
    SharedField,
    Urgency,
    ViolenceType,
)
from .services import accounts, admin, hot_cases
from .services.assessments import assess_risk
from .services.cases import open_case
from .services.consents import record_consent
from .services.referrals import create_referral
from .services.risk import QUESTION_IDS
from .workflows import engine
from .workflows.sla import DEFAULT_POLICIES

DEMO_PASSWORD_LENGTH = 16


class DemoRefused(RuntimeError):
    pass


def _actor(user: User) -> Actor:
    return Actor(user_id=user.id, username=user.username, agency_id=user.agency_id,
                 roles=tuple(sorted(r.value for r in user.roles)), channel="demo")


def seed_demo(*, files: int = 200, if_empty: bool = False, seed: int = 2026) -> str:
    if current_app.config["ENV_NAME"] == "production":
        raise DemoRefused("refusing to seed demo data into a production configuration")
    if db.session.execute(select(func.count()).select_from(Agency)).scalar_one():
        if if_empty:
            return "Database already has data: demo seeding skipped."
        raise DemoRefused("the database already has agencies; demo data goes into an empty database")
    rng = random.Random(seed)
    regions = _regions()
    agencies = _agencies(regions)
    _holidays()
    _sla_policies()
    people, accounts_out = _accounts(agencies, regions, rng)
    _library(people[admin.NETWORK_AGENCY_CODE][0])
    db.session.commit()
    counts = _files(files, agencies, people, rng)
    _hot_cases(people, rng)
    _partner_outside_masar(regions)
    db.session.commit()
    path = Path(current_app.instance_path) / "demo-accounts.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(accounts_out, ensure_ascii=False, indent=2))
    path.chmod(0o600)
    states = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
    return (f"Demo network seeded: {len(agencies)} agencies, {len(accounts_out)} accounts, {files} files.\n"
            f"Referrals by state: {states}.\nDemo logins (with TOTP secrets): {path}")


def _regions() -> dict[str, Region]:
    regions = {}
    for code, ar, fr, en in data.REGIONS:
        regions[code] = Region(code=code, name_ar=ar, name_fr=fr, name_en=en, country="MA")
        db.session.add(regions[code])
    db.session.flush()
    return regions


def _agencies(regions: dict[str, Region]) -> dict[str, Agency]:
    agencies = {}
    for code, region, ar, fr, en, categories in data.ASSOCIATIONS:
        agencies[code] = _agency(code, AgencyKind.ASSOCIATION, "association", regions[region], ar, fr, en, categories,
                                 False, regions)
    for code, region, sector, ar, fr, en, categories, always_open in data.PUBLIC_SERVICES:
        agencies[code] = _agency(code, AgencyKind.PUBLIC_SERVICE, sector, regions[region], ar, fr, en, categories,
                                 always_open, regions)
    agencies[admin.NETWORK_AGENCY_CODE] = admin.network_agency()
    db.session.flush()
    return agencies


def _agency(code, kind, sector, region, ar, fr, en, categories, always_open, regions) -> Agency:
    agency = Agency(code=code, kind=kind, sector=sector, region_id=region.id, name_ar=ar, name_fr=fr, name_en=en,
                    timezone="Africa/Casablanca", open_24_7=always_open, phone="+212 5 22 00 00 00",
                    email=f"contact@{code.lower()}.example.org",
                    # Public buildings have ramps; a few associations are up a flight of stairs.
                    step_free_access=kind != AgencyKind.ASSOCIATION or len(code) % 2 == 0,
                    accessible_toilet=kind != AgencyKind.ASSOCIATION, sign_language=code.startswith("HOSP"))
    db.session.add(agency)
    db.session.flush([agency])
    for category in categories:
        s_ar, s_fr, s_en = data.SERVICE_NAMES[category]
        service = Service(agency_id=agency.id, category=category, name_ar=s_ar, name_fr=s_fr, name_en=s_en)
        # Public services cover their region; prosecution and hospital units take cases from neighbours too.
        service.regions = [region] if kind == AgencyKind.ASSOCIATION else list(regions.values())[:3]
        # Arabic (and Darija) everywhere; Tamazight around Marrakech and Fès; French in public services.
        service.languages = ["ar"] + (["zgh"] if region.code in ("MA-07", "MA-03") else []) + (
            ["fr"] if kind != AgencyKind.ASSOCIATION else [])
        db.session.add(service)
    return agency


def _holidays() -> None:
    year = utcnow().year
    for day, name in data.holiday_dates((year - 1, year, year + 1)):
        db.session.add(Holiday(day=day, name=name))


def _sla_policies() -> None:
    for urgency, values in DEFAULT_POLICIES.items():
        db.session.add(SlaPolicy(urgency=urgency, service_category=None, **values))
    # Post-rape care is never standard; its emergency policy is tighter.
    db.session.add(SlaPolicy(urgency=Urgency.EMERGENCY, service_category=ServiceCategory.POST_RAPE_CARE,
                             clock="wall", acknowledge_minutes=30, decide_minutes=60, first_action_minutes=120,
                             complete_minutes=None))


def _accounts(agencies, regions, rng) -> tuple[dict[str, list[User]], list[dict]]:
    people: dict[str, list[User]] = {}
    out = []

    def make(username, display, agency, role, region=None, lead=False):
        password = "".join(rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
                           for _ in range(DEMO_PASSWORD_LENGTH))
        user, _ = admin.new_user(username=username, display_name=display, agency=agency,
                                 roles={role, Role.LEAD} if lead else {role},
                                 region_id=region.id if region else None, password=password,
                                 must_change_password=False)
        secret = accounts.begin_enrolment(user)
        user.totp_confirmed_at = utcnow()
        people.setdefault(agency.code, []).append(user)
        out.append({"username": user.username, "password": password, "totp_secret": secret, "role": role.value,
                    "agency": agency.code})
        return user

    names = iter(["Samira", "Latifa", "Nawal", "Karima", "Btissam", "Siham", "Wafae", "Asmae", "Hajar", "Ilham",
                  "Meriem", "Ouafae", "Rajae", "Sara", "Yousra", "Zahra", "Noura", "Dounia", "Chaimae", "Ibtissam"])
    # Each agency's demo account is also its lead: she approves the accounts an admin opens there.
    for code, *_ in data.ASSOCIATIONS:
        make(f"cw.{code.lower()}", f"{next(names)} ({code.title()})", agencies[code], Role.CASEWORKER, lead=True)
    for code, *_ in data.PUBLIC_SERVICES:
        make(f"officer.{code.lower().split('-')[0]}.{code.lower().split('-')[-1]}", f"{next(names)} ({code})",
             agencies[code], Role.OFFICER, lead=True)
    network = agencies[admin.NETWORK_AGENCY_CODE]
    make("coord.national", "Coordination nationale", network, Role.COORDINATOR)
    make("coord.casablanca", "Coordination Casablanca-Settat", network, Role.COORDINATOR, regions["MA-06"])
    make("auditor", "Audit", network, Role.AUDITOR)
    make("admin", "Administration", network, Role.ADMIN)
    return people, out


def _partner_outside_masar(regions: dict[str, Region]) -> None:
    """A lawyer's office without accounts: a referral to it goes by printed letter and one-time address."""
    agency = _agency("CABINET-LAW", AgencyKind.ASSOCIATION, "justice", regions["MA-06"],
                     "مكتب المحامية نادية العلوي", "Cabinet de Maître Nadia Alaoui, avocate",
                     "Office of Nadia Alaoui, lawyer", (ServiceCategory.LEGAL,), False, regions)
    agency.external_partner = True


def _library(coordinator: User) -> None:
    for slug, language, topic, title, summary, body in data.LIBRARY:
        db.session.add(LibraryItem(slug=slug, language=language, topic=topic, kind="article", title=title,
                                   summary=summary, body_markdown=body, published=True,
                                   created_by_id=coordinator.id, updated_by_id=coordinator.id))


# Target states of demo referrals and how often they occur.
STATE_WEIGHTS = (
    (ReferralStatus.SENT, 14), (ReferralStatus.ACKNOWLEDGED, 10), (ReferralStatus.ACCEPTED, 10),
    (ReferralStatus.IN_PROGRESS, 12), (ReferralStatus.AWAITING_INFO, 5), (ReferralStatus.COMPLETED, 20),
    (ReferralStatus.DECLINED, 8), (ReferralStatus.RETURNED, 4), (ReferralStatus.WITHDRAWN, 3),
)
PATHS = {
    ReferralStatus.SENT: (),
    ReferralStatus.ACKNOWLEDGED: ("acknowledge",),
    ReferralStatus.ACCEPTED: ("acknowledge", "accept"),
    ReferralStatus.IN_PROGRESS: ("acknowledge", "accept", "start"),
    ReferralStatus.AWAITING_INFO: ("acknowledge", "info_request"),
    ReferralStatus.COMPLETED: ("acknowledge", "accept", "start", "complete"),
    ReferralStatus.DECLINED: ("acknowledge", "decline"),
    ReferralStatus.RETURNED: ("accept", "return"),
    ReferralStatus.WITHDRAWN: ("withdraw",),
}
MESSAGES = {
    "complete": "تم التكفل وتسليم الشهادة الطبية. / Prise en charge effectuée.",
    "info_request": "Merci de préciser l'adresse actuelle et un moment sûr pour l'appeler.",
    "decline": "Service saturé cette semaine.",
    "return": "La survivante a été orientée vers un autre centre plus proche.",
}


def _files(count: int, agencies: dict[str, Agency], people: dict[str, list[User]], rng: random.Random) -> dict:
    now = utcnow()
    services = db.session.execute(select(Service)).scalars().all()
    counts: dict[str, int] = {}
    associations = [code for code, *_ in data.ASSOCIATIONS]
    for index in range(count):
        owner_code = associations[index % len(associations)]
        caseworker = people[owner_code][0]
        targets = [rng.choices([s for s, _ in STATE_WEIGHTS], [w for _, w in STATE_WEIGHTS])[0]
                   for _ in range(rng.choice((0, 1, 1, 2, 2, 3)))]
        sent_times = [_sent_time(state, now, rng) for state in targets]
        opened_at = min(sent_times, default=now - timedelta(days=rng.uniform(0.1, 60))) - timedelta(hours=2)
        with acting_as(_actor(caseworker)):
            case = _open_file(caseworker, agencies[owner_code], rng, opened_at)
            candidates = [s for s in services if s.agency_id != caseworker.agency_id]
            rng.shuffle(candidates)
            used: set[str] = set()
            for state, sent_at in zip(targets, sent_times, strict=True):
                service = next((s for s in candidates if s.category not in used), None)
                if service is None:
                    break
                used.add(service.category)
                reached = _referral(caseworker, case, service, state, sent_at, now, people, rng)
                counts[reached] = counts.get(reached, 0) + 1
        if index % 25 == 24:
            db.session.commit()
    return counts


def _hot_cases(people: dict[str, list[User]], rng: random.Random) -> None:
    """A few files their caseworkers asked their governorate's coalition to follow, one with a
    decision already, so that the coordinators' hot-case pages show something."""
    reasons = ("high_risk", "repeated_violence", "service_failure")
    comments = ("Threatened again after the complaint was filed", "Third report this year from the same household",
                "Turned away at the police station without a record")
    for position, (code, *_) in enumerate(data.ASSOCIATIONS[:3]):
        caseworker = people[code][0]
        case = db.session.execute(select(Case).where(Case.owner_agency_id == caseworker.agency_id,
                                                     Case.status == CaseStatus.OPEN).limit(1)).scalar_one_or_none()
        if case is None:
            continue
        index = rng.randrange(len(reasons))
        with acting_as(_actor(caseworker)):
            hot = hot_cases.flag_file(caseworker, case, reasons[index], comments[index], rng.choice((7, 14)))
        coordinators = hot_cases.coordinators_of(hot.region_id)
        if coordinators and position == 0:
            with acting_as(_actor(coordinators[0])):
                hot_cases.decide(coordinators[0], hot, "follow_up", "Ask the prosecutor for a protection order",
                                 expected_version=hot.version)


def _sent_time(state: ReferralStatus, now: datetime, rng: random.Random) -> datetime:
    from .workflows.definition import OPEN_STATES

    if state in OPEN_STATES and rng.random() < 0.7:
        return now - timedelta(hours=rng.uniform(0.2, 72))  # recent: mostly within time
    return now - timedelta(days=rng.uniform(3, 90))  # older: open ones are overdue


def _open_file(caseworker: User, agency: Agency, rng: random.Random, at: datetime):
    arabic = rng.random() < 0.6
    first = rng.choice(data.ARABIC_FIRST if arabic else data.LATIN_FIRST)
    last = rng.choice(data.ARABIC_LAST if arabic else data.LATIN_LAST)
    identity = {
        "full_name": f"{first} {last}",
        "phone": f"06{rng.randrange(10_000_000, 99_999_999)}",
        "address": f"{rng.randrange(1, 200)}، {rng.choice(data.CITIES)}",
        "contact_instructions": rng.choice(("", "لا تتصلوا بعد السادسة مساءً", "Appeler seulement le matin",
                                            "Ne pas laisser de message vocal")),
        "national_id": f"{rng.choice('ABCDGHJKLMNPQRSTUVWXYZ')}{rng.randrange(100000, 999999)}",
        "date_of_birth": f"{rng.randrange(1965, 2007)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
        "narrative": rng.choice(data.NARRATIVES),
    }
    details = {
        "region_id": agency.region_id,
        "age_band": rng.choice(list(AgeBand)[1:]),
        "disability": rng.random() < 0.08,
        "violence_type": rng.choice(list(ViolenceType)),
        "violence_flags": rng.sample(["economic", "digital"], rng.choice((0, 0, 1))),
        "perpetrator_relationship": rng.choice(list(PerpetratorRelationship)),
        "incident_date": (at - timedelta(days=rng.randrange(0, 30))).date(),
        "incident_place": rng.choice(list(IncidentPlace)),
        "channel": rng.choice((IntakeChannel.WALK_IN, IntakeChannel.WALK_IN, IntakeChannel.HOTLINE_REPORT,
                               IntakeChannel.HOTLINE_SUPPORT, IntakeChannel.OUTREACH)),
    }
    case, _duplicates = open_case(caseworker, identity, details, at=at)
    answers = {q: rng.random() < 0.45 for q in QUESTION_IDS}
    assess_risk(caseworker, case, answers)
    return case


def _referral(caseworker, case, service, state, sent_at, now, people, rng) -> str:
    fields = [SharedField.NAME.value, SharedField.CONTACT.value]
    if rng.random() < 0.5:
        fields.append(SharedField.NARRATIVE.value)
    record_consent(caseworker, case, fields=fields, service_category=service.category)
    clinical = service.category == ServiceCategory.POST_RAPE_CARE
    urgency = Urgency.EMERGENCY if clinical or case.risk_level == "high" else rng.choice(
        (Urgency.URGENT, Urgency.STANDARD, Urgency.STANDARD))
    referral = create_referral(caseworker, case, service=service, urgency=urgency, shared_fields=fields,
                               message="Merci de prendre contact avec elle selon les consignes du dossier.",
                               assault_at=sent_at - timedelta(hours=rng.uniform(2, 40)) if clinical else None,
                               at=sent_at)
    recipient = people[service.agency.code][0]
    at = sent_at
    for action in PATHS[state]:
        at = at + timedelta(hours=rng.uniform(0.3, 30))
        if at >= now:
            break
        actor = caseworker if action == "withdraw" else recipient
        reason = {"decline": "no_capacity", "return": "other"}.get(action)
        with acting_as(_actor(actor)):
            engine.fire(referral, action, actor, reason=reason, message=MESSAGES.get(action), at=at)
    return referral.status.value

