"""The benchmark network: 12 regions, 60 agencies, 150 services, about 430 staff accounts.

Per region: two associations (they own the files and take psychosocial, legal, shelter, social and
economic referrals), a police unit and a hospital unit open around the clock, and the public
prosecution. Built through the ORM (a few hundred rows); every account shares one password hash
(argon2 once, not 430 times) and has a confirmed TOTP secret sealed exactly as enrolment seals it,
so the benchmark can log in through the real pages.
"""

from __future__ import annotations

from datetime import datetime

from referral.demo_data import holiday_dates
from referral.extensions import db
from referral.models import Agency, Holiday, Region, Service, SlaPolicy, User, UserRole
from referral.models.agency import DEFAULT_OPENING_HOURS
from referral.models.vocab import AgencyKind, Role, ServiceCategory, Urgency
from referral.security.passwords import hash_password
from referral.services import accounts, admin
from referral.workflows.sla import DEFAULT_POLICIES, TIMER_BUDGET_COLUMNS

from . import data

#: The one password of every generated account (benchmark databases only).
BENCH_PASSWORD = "bench-password-not-a-secret"
C = ServiceCategory
# code suffix, kind, sector, open 24/7, categories, staff per agency
AGENCY_TEMPLATES = (
    ("ASSOC1", AgencyKind.ASSOCIATION, "association", False, (C.PSYCHOSOCIAL, C.LEGAL, C.SHELTER, C.SOCIAL), 8),
    ("ASSOC2", AgencyKind.ASSOCIATION, "association", False, (C.PSYCHOSOCIAL, C.ECONOMIC, C.LEGAL), 8),
    ("POLICE", AgencyKind.PUBLIC_SERVICE, "security", True, (C.POLICE_PROTECTION,), 6),
    ("PARQUET", AgencyKind.PUBLIC_SERVICE, "justice", False, (C.PROSECUTION,), 6),
    ("HOSP", AgencyKind.PUBLIC_SERVICE, "health", True, (C.MEDICAL, C.POST_RAPE_CARE, C.PSYCHOSOCIAL), 6),
)
#: Even regions' second association also runs a shelter: 12 x 12 + 6 = 150 services.
EXTRA_SHELTER_EVERY = 2
#: Post-rape care is never standard; its emergency policy is tighter (as in the demo).
POST_RAPE_EMERGENCY = dict(clock="wall", acknowledge_minutes=30, decide_minutes=60, first_action_minutes=120,
                           complete_minutes=None)


def build_network(now: datetime) -> dict:
    """Create the network in the current app context's database; return what the generator needs."""
    regions = []
    for code, ar, fr, en, _weight in data.REGIONS:
        region = Region(code=code, name_ar=ar, name_fr=fr, name_en=en, country="MA")
        db.session.add(region)
        regions.append(region)
    db.session.flush()
    password_hash = hash_password(BENCH_PASSWORD)
    agencies, services, staff, caseworkers, owners = {}, [], {}, {}, []
    users: list[tuple[User, Role]] = []
    for number, (region, (_, _, _, _, weight)) in enumerate(zip(regions, data.REGIONS, strict=True), start=1):
        for suffix, kind, sector, always_open, categories, people in AGENCY_TEMPLATES:
            code = f"{suffix}-{region.code}"
            agency = Agency(code=code, kind=kind, sector=sector, region_id=region.id, name_ar=f"{code} (ar)",
                            name_fr=f"{code} (fr)", name_en=f"{code} (en)", timezone="Africa/Casablanca",
                            open_24_7=always_open, opening_hours=dict(DEFAULT_OPENING_HOURS),
                            phone="+212 5 22 00 00 00", email=f"contact@{code.lower()}.example.org",
                            created_at=now)
            db.session.add(agency)
            db.session.flush([agency])
            offered = list(categories)
            if suffix == "ASSOC2" and number % EXTRA_SHELTER_EVERY == 0:
                offered.append(C.SHELTER)
            for category in offered:
                service = Service(agency_id=agency.id, category=category, name_ar=f"{category.value} (ar)",
                                  name_fr=f"{category.value} (fr)", name_en=f"{category.value} (en)")
                service.regions = [region]
                db.session.add(service)
                db.session.flush([service])
                services.append({"id": service.id, "agency_id": agency.id, "category": category.value,
                                 "region_ids": [region.id]})
            agencies[agency.id] = {"code": code, "kind": kind.value, "region_id": region.id,
                                   "open_24_7": always_open}
            role = Role.CASEWORKER if kind == AgencyKind.ASSOCIATION else Role.OFFICER
            members = []
            for n in range(1, people + 1):
                prefix = "cw" if role == Role.CASEWORKER else "officer"
                user = _user(f"{prefix}.{code.lower()}.{n}", agency, role, None, password_hash, now)
                members.append(user)
                users.append((user, role))
            staff[agency.id] = [u.id for u in members]
            if kind == AgencyKind.ASSOCIATION:
                caseworkers[agency.id] = [u.id for u in members]
                owners.append((agency.id, weight * (0.6 if suffix == "ASSOC1" else 0.4)))
    network = admin.network_agency()
    network_users = [("coord.national", Role.COORDINATOR, None), ("auditor.1", Role.AUDITOR, None),
                     ("auditor.2", Role.AUDITOR, None), ("admin.1", Role.ADMIN, None), ("admin.2", Role.ADMIN, None)]
    network_users += [(f"coord.{r.code.lower()}", Role.COORDINATOR, r.id) for r in regions]
    coordinators: dict = {}
    for username, role, region_id in network_users:
        user = _user(username, network, role, region_id, password_hash, now)
        users.append((user, role))
        if role == Role.COORDINATOR:
            coordinators.setdefault(region_id, []).append(user.id)
    for user, _role in users:
        accounts.begin_enrolment(user)  # needs the user's id: the sealed secret is bound to it
        user.totp_confirmed_at = now
    policies = _policies(now)
    years = range(now.year - 4, now.year + 4)
    for day, name in holiday_dates(tuple(years)):
        db.session.add(Holiday(day=day, name=name))
    db.session.commit()
    return {
        "agencies": agencies, "services": services, "staff": staff, "caseworkers": caseworkers, "owners": owners,
        "coordinators": coordinators,
        "policies": policies, "holidays": [d.isoformat() for d, _ in holiday_dates(tuple(years))],
        "timezone": "Africa/Casablanca", "opening_hours": dict(DEFAULT_OPENING_HOURS), "users": len(users),
    }


def _user(username: str, agency: Agency, role: Role, region_id: int | None, password_hash: str,
          now: datetime) -> User:
    user = User(username=username, display_name=username.replace(".", " ").title(), agency_id=agency.id,
                region_id=region_id, password_hash=password_hash, password_changed_at=now,
                must_change_password=False, active=True, created_at=now, locale="fr")
    user.role_rows = [UserRole(role=role)]
    db.session.add(user)
    db.session.flush([user])
    return user


def _policies(now: datetime) -> dict:
    """Seed the default SLA policies; return them as {(urgency, category): (clock, {kind: minutes})}."""
    result = {}
    seeded = [(urgency, None, values) for urgency, values in DEFAULT_POLICIES.items()]
    seeded.append((Urgency.EMERGENCY, C.POST_RAPE_CARE, POST_RAPE_EMERGENCY))
    for urgency, category, values in seeded:
        db.session.add(SlaPolicy(urgency=urgency, service_category=category, updated_at=now, **values))
        minutes = {kind: values[column] for kind, column in TIMER_BUDGET_COLUMNS.items()}
        clock = values["clock"].value if hasattr(values["clock"], "value") else values["clock"]
        result[(urgency.value, category.value if category else None)] = (clock, minutes)
    return result
