"""Survivor files in bulk: one chunk of files with everything they carry, built without the ORM.

Ciphertexts are byte-for-byte what the services write: each file gets its own data key wrapped by
the active master key (`case_crypto.wrap_aad`), and every field is sealed with
`crypto.field_aad(table, column, row id)`; blind indexes come from the app's `BlindIndexer`. So the
app opens, decrypts and searches generated files as its own (the smoke test checks it).

A chunk is a pure function of (seed, chunk number) plus fresh randomness for keys and nonces, so
several processes can build chunks side by side. Integer ids are `file index * stride + n`: unique
without coordination, and sequences are moved past them after the load.
"""

from __future__ import annotations

import base64
import json
import math
import os
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from referral.models.vocab import (
    AgeBand,
    ClosureReason,
    IncidentPlace,
    PerpetratorRelationship,
    ViolenceType,
)
from referral.security.blind_index import BlindIndexer
from referral.security.case_crypto import wrap_aad
from referral.security.crypto import FieldCipher, MasterKeyRing, field_aad
from referral.services.risk import HIGH_THRESHOLD, MEDIUM_THRESHOLD, QUESTION_IDS, QUESTIONNAIRE_VERSION
from referral.workflows.calendar import BusinessCalendar

from . import data
from .encode import TABLES, encode
from .timeline import FastCalendar, Policy, Recipient, Replayer, Weighted

STRIDES = {"case_blind_indexes": 4, "case_events": 48, "consents": 16, "risk_assessments": 4,
           "referral_events": 128, "sla_timers": 64, "breaches": 64, "escalations": 128, "notifications": 512}
MAX_REFERRALS = 10
#: Referrals per file: about five on average.
#: Consent for reporting (the observatory's statistics): most survivors agree, some refuse, a few
#: were never asked.
STATISTICS_CONSENT = Weighted(("yes", 80), ("no", 12), (None, 8))
REFERRAL_COUNTS = Weighted((1, 6), (2, 9), (3, 12), (4, 15), (5, 16), (6, 14), (7, 11), (8, 8), (9, 5), (10, 4))
NEEDS = Weighted(("psychosocial", 18), ("legal", 18), ("medical", 14), ("police_protection", 14), ("prosecution", 10),
                 ("shelter", 8), ("economic", 7), ("social", 6), ("post_rape_care", 5))
PUBLIC_URGENCY = Weighted(("emergency", 15), ("urgent", 45), ("standard", 40))
OTHER_URGENCY = Weighted(("emergency", 3), ("urgent", 30), ("standard", 67))
PRIORITY = {"emergency": 0, "urgent": 1, "standard": 2}
CLOSURES = Weighted((ClosureReason.NEEDS_MET, 50), (ClosureReason.LOST_CONTACT, 15),
                    (ClosureReason.SURVIVOR_WITHDREW, 12), (ClosureReason.TRANSFERRED, 10),
                    (ClosureReason.DUPLICATE, 3), (ClosureReason.OTHER, 10))
CHANNELS = Weighted(("walk_in", 45), ("hotline_report", 25), ("hotline_support", 15), ("referred_in", 8),
                    ("outreach", 7))
NOTIFY_WINDOW = 30 * 86400  # transitions of the last 30 days still have their in-app notifications
FINAL = frozenset({"completed", "declined", "returned", "withdrawn"})


@dataclass
class Plan:
    """Everything a generator process needs; plain data, so it pickles to worker processes."""

    files: int
    seed: int
    now: int
    t0: int
    sweep_until: int
    dialect: str
    keys: dict
    agencies: dict  # id -> {"code", "kind", "region_id", "open_24_7"}
    services: list  # {"id", "agency_id", "category", "region_ids"}
    staff: dict  # agency id -> user ids who work its inbox
    caseworkers: dict  # association id -> caseworker ids
    owners: list  # (association id, weight)
    policies: dict  # (urgency, category | None) -> (clock, {kind: minutes})
    holidays: list  # ISO dates of national holidays
    timezone: str
    opening_hours: dict
    coordinators: dict = field(default_factory=dict)  # region id (None: national) -> user ids
    escalate_after: int = 4 * 3600  # seconds an unresolved breach waits before the sweep escalates it
    first_index_by_year: dict = field(default_factory=dict)

    def opened_at(self, index: int) -> int:
        """Files open in order, more each year (the density doubles over the period)."""
        u = (index + 0.5) / self.files
        return self.t0 + int((self.now - self.t0) * (math.sqrt(1 + 3 * u) - 1))


def first_index_by_year(plan: Plan) -> dict[int, int]:
    """Index of the first file of each year, so case numbers run from 1 each year as in the app."""
    result = {}
    year = _year(plan.opened_at(0))
    last = _year(plan.opened_at(plan.files - 1))
    while year <= last:
        lo, hi = 0, plan.files
        while lo < hi:
            mid = (lo + hi) // 2
            if _year(plan.opened_at(mid)) >= year:
                hi = mid
            else:
                lo = mid + 1
        result[year] = lo
        year += 1
    return result


def _year(t: int) -> int:
    return time.gmtime(t).tm_year


def _uuid7(ms: int, rng: random.Random) -> str:
    """A version-7 UUID for a past instant (32 hex digits), time-ordered like the app's `uuid7()`."""
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rng.getrandbits(12) << 64 | 0b10 << 62 | rng.getrandbits(62)
    return f"{value:032x}"


def _dashed(h: str) -> str:
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Context:
    """Per-process state: keys, calendar, lookup tables."""

    def __init__(self, plan: Plan):
        self.plan = plan
        keys = plan.keys
        self.ring = MasterKeyRing.from_config(keys["MASTER_KEYS"], keys.get("ACTIVE_MASTER_KEY_ID"))
        self.indexer = BlindIndexer(base64.b64decode(keys["BLIND_INDEX_KEY"]), bits=keys["BLIND_INDEX_BITS"],
                                    default_region=keys["DEFAULT_PHONE_REGION"])
        calendar = BusinessCalendar(timezone=plan.timezone, opening_hours=plan.opening_hours,
                                    holidays=frozenset(date.fromisoformat(d) for d in plan.holidays))
        first = datetime.fromtimestamp(plan.t0, UTC).date().replace(day=1)
        last = datetime.fromtimestamp(plan.now, UTC).date().replace(day=1)
        self.calendar = FastCalendar(calendar, first, last.replace(year=last.year + 3))
        self.recipients = {aid: Recipient(a["open_24_7"], self.calendar) for aid, a in plan.agencies.items()}
        policies = {key: Policy(clock, minutes) for key, (clock, minutes) in plan.policies.items()}
        self.replayer = Replayer(policies, plan.now, plan.sweep_until)
        self.by_need_region: dict[tuple[str, int], list[dict]] = {}
        self.by_need: dict[str, list[dict]] = {}
        for service in plan.services:
            self.by_need.setdefault(service["category"], []).append(service)
            for region in service["region_ids"]:
                self.by_need_region.setdefault((service["category"], region), []).append(service)
        self.owner_ids = [aid for aid, _ in plan.owners]
        self.owner_cum = []
        total = 0.0
        for _, weight in plan.owners:
            total += weight
            self.owner_cum.append(total)


_CONTEXT: Context | None = None


def init_worker(plan: Plan) -> None:
    global _CONTEXT
    _CONTEXT = Context(plan)


def make_chunk(args: tuple[int, int, int]) -> dict:
    """Files [start, stop) of chunk `number`: encoded rows per table, and counts."""
    number, start, stop = args
    ctx = _CONTEXT
    rng = random.Random(ctx.plan.seed * 1_000_003 + number)
    chunk = Chunk(ctx, rng)
    for index in range(start, stop):
        chunk.file(index)
    payload = {table: encode(ctx.plan.dialect, table, rows) for table, rows in chunk.rows.items() if rows}
    return {"files": stop - start, "tables": payload, "counts": {t: len(r) for t, r in chunk.rows.items()},
            "stats": chunk.stats}


class Chunk:
    def __init__(self, ctx: Context, rng: random.Random):
        self.ctx = ctx
        self.plan = ctx.plan
        self.rng = rng
        self.rows: dict[str, list[list]] = {table: [] for table in TABLES}
        self.stats: dict[str, int] = {}
        self.identities: list[dict] = []

    def count(self, key: str, n: int = 1) -> None:
        self.stats[key] = self.stats.get(key, 0) + n

    # -- one file ------------------------------------------------------------------------------------
    def file(self, index: int) -> None:
        rng, plan, ctx = self.rng, self.plan, self.ctx
        next_id = Ids(index)
        opened = plan.opened_at(index)
        year = _year(opened)
        case_number = f"CAS-{year}-{index - plan.first_index_by_year[year] + 1:06d}"
        owner = ctx.owner_ids[_bisect_weight(ctx.owner_cum, rng.random() * ctx.owner_cum[-1])]
        region = plan.agencies[owner]["region_id"]
        caseworkers = plan.caseworkers[owner]
        caseworker = rng.choice(caseworkers)
        case_hex = _uuid7(opened * 1000 + rng.randrange(1000), rng)
        case_id = _dashed(case_hex)
        identity = self._identity(owner)
        violence = rng.choice(list(ViolenceType)).value
        channel = CHANNELS.pick(rng)

        key = os.urandom(32)
        cipher = FieldCipher(key)
        wrapped = ctx.ring.wrap(key, wrap_aad(case_id))
        self.rows["case_keys"].append([case_hex, wrapped.key_id, wrapped.blob, opened, None])

        def seal(table: str, column: str, row_id, value):
            if value is None or value == "":
                return None
            return cipher.encrypt(value, field_aad(table, column, row_id))

        for column in ("phone", "national_id", "full_name"):
            if identity.get(column):
                self.rows["case_blind_indexes"].append(
                    [next_id("case_blind_indexes"), case_hex, column, ctx.indexer.compute(column, identity[column])])

        events = self.rows["case_events"]
        events.append([next_id("case_events"), case_hex, "opened", opened, caseworker, owner, {"channel": channel},
                       None])
        risk_level, last_activity = self._risk(case_hex, opened, caseworker, owner, next_id, seal)
        last_activity = max(last_activity, opened)

        referrals, last_activity = self._referrals(
            index, case_hex, opened, owner, region, caseworker, caseworkers, risk_level, violence,
            next_id, seal, last_activity)
        status, closed_at, closure = "open", None, None
        all_final = all(r["status"] in FINAL for r in referrals)
        if all_final and opened < plan.now - 90 * 86400 and rng.random() < 0.85:
            at = last_activity + rng.randrange(86400, 30 * 86400)
            if at < plan.now:
                status, closed_at, closure = "closed", at, CLOSURES.pick(rng).value
                events.append([next_id("case_events"), case_hex, "closed", at, caseworker, owner,
                               {"reason": closure}, None])
        self.count(f"cases.{status}")
        self._notes(case_hex, opened, last_activity, caseworker, owner, seal)

        self.rows["cases"].append([
            case_hex, case_number, owner, caseworker, status, channel, 1, opened, closed_at, closure,
            last_activity, region, rng.choice(list(AgeBand)[1:]).value, rng.random() < 0.08, violence,
            sorted(rng.sample(["economic", "digital"], rng.choice((0, 0, 0, 1, 2)))),
            rng.choice(list(PerpetratorRelationship)).value,
            datetime.fromtimestamp(opened - rng.randrange(0, 30 * 86400), UTC).date().isoformat(),
            rng.choice(list(IncidentPlace)).value, risk_level,
            seal("cases", "full_name", case_id, identity["full_name"]),
            seal("cases", "phone", case_id, identity["phone"]),
            seal("cases", "address", case_id, identity["address"]),
            seal("cases", "contact_instructions", case_id, identity["contact_instructions"]),
            seal("cases", "national_id", case_id, identity["national_id"]),
            seal("cases", "date_of_birth", case_id, identity["date_of_birth"]),
            seal("cases", "narrative", case_id, identity["narrative"]),
            None, STATISTICS_CONSENT.pick(rng),
            sorted({r["need"] for r in referrals if r["status"] == "completed"}) if closed_at else None,
        ])

    def _identity(self, owner: int) -> dict:
        rng = self.rng
        if self.identities and rng.random() < 0.015:
            # The same survivor at a second association: what duplicate detection exists for.
            earlier = rng.choice(self.identities)
            if earlier["owner"] != owner:
                self.count("duplicate_identities")
                return dict(earlier, owner=owner)
        arabic = rng.random() < 0.6
        if arabic:
            parts = [rng.choice(data.ARABIC_FIRST)]
            if rng.random() < 0.4:
                parts.append(rng.choice(data.ARABIC_MIDDLE))
            parts.append(rng.choice(data.ARABIC_LAST))
        else:
            parts = [rng.choice(data.LATIN_FIRST), rng.choice(data.LATIN_LAST)]
        identity = {
            "owner": owner,
            "full_name": " ".join(parts),
            "phone": f"0{rng.choice('67')}{rng.randrange(10_000_000, 100_000_000)}",
            "address": f"{rng.randrange(1, 300)}، {rng.choice(data.STREETS)}، {rng.choice(data.CITIES)}",
            "contact_instructions": rng.choice(data.CONTACT_INSTRUCTIONS),
            "national_id": f"{rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}{rng.choice(('', 'B', 'K', 'E'))}"
                           f"{rng.randrange(100000, 999999)}" if rng.random() < 0.7 else None,
            "date_of_birth": f"{rng.randrange(1960, 2010)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
            "narrative": " ".join(rng.sample(data.NARRATIVE_SENTENCES, rng.randrange(2, 6))),
        }
        self.identities.append(identity)
        if len(self.identities) > 200:
            self.identities.pop(0)
        return identity

    def _risk(self, case_hex, opened, caseworker, owner, next_id, seal) -> tuple[str, int]:
        rng = self.rng
        propensity = rng.choice((0.15, 0.3, 0.45, 0.6, 0.7))
        times = [opened + rng.randrange(600, 3600)]
        if rng.random() < 0.1:
            later = opened + rng.randrange(10 * 86400, 60 * 86400)
            if later < self.plan.now:
                times.append(later)
        level = "standard"
        for at in times:
            answers = {q: rng.random() < propensity for q in QUESTION_IDS}
            score = sum(answers.values())
            computed = "high" if score >= HIGH_THRESHOLD else "medium" if score >= MEDIUM_THRESHOLD else "standard"
            raised = computed != "high" and rng.random() < 0.05
            level = "high" if raised else computed
            assessment_id = next_id("risk_assessments")
            self.rows["risk_assessments"].append([
                assessment_id, case_hex, QUESTIONNAIRE_VERSION,
                seal("risk_assessments", "answers", assessment_id, json.dumps(answers, separators=(",", ":"))),
                score, computed, level,
                seal("risk_assessments", "judgement", assessment_id, data.JUDGEMENT) if raised else None,
                caseworker, at,
            ])
            self.rows["case_events"].append([next_id("case_events"), case_hex, "risk_assessed", at, caseworker, owner,
                                             {"score": score, "level": level, "computed": computed}, None])
        return level, times[-1]

    def _notes(self, case_hex, opened, last_activity, author, owner, seal) -> None:
        rng = self.rng
        if rng.random() >= 0.25:
            return
        for _ in range(rng.randrange(1, 4)):
            at = rng.randrange(opened, max(opened + 1, last_activity))
            note_hex = _uuid7(at * 1000, rng)
            body = seal("notes", "body", _dashed(note_hex), rng.choice(data.NOTE_BODIES))
            self.rows["notes"].append([note_hex, case_hex, None, author, owner, at, body])

    # -- referrals ----------------------------------------------------------------------------------
    def _service(self, need: str, region: int, owner: int) -> dict | None:
        rng = self.rng
        local = [s for s in self.ctx.by_need_region.get((need, region), ()) if s["agency_id"] != owner]
        if local and rng.random() < 0.85:
            return rng.choice(local)
        anywhere = [s for s in self.ctx.by_need.get(need, ()) if s["agency_id"] != owner]
        return rng.choice(anywhere) if anywhere else None

    def _referrals(self, index, case_hex, opened, owner, region, caseworker, caseworkers, risk_level,
                   violence, next_id, seal, last_activity):
        rng, plan, ctx = self.rng, self.plan, self.ctx
        count = REFERRAL_COUNTS.pick(rng)
        offsets = sorted(rng.randrange(1800, 2 * 86400) if rng.random() < 0.5
                         else int(rng.expovariate(1 / (20 * 86400))) + 1800 for _ in range(count))
        consents: dict[str, list] = {}  # need -> [row index, fields, last referral sent at]
        referrals: list[dict] = []
        sexual = violence in ("rape", "sexual_assault")
        for j, offset in enumerate(offsets):
            sent_at = opened + offset
            if sent_at >= plan.now - 60:
                break
            need = NEEDS.pick(rng)
            while need == "post_rape_care" and not (sexual and j < 2):
                need = NEEDS.pick(rng)
            service = self._service(need, region, owner)
            if service is None:
                continue
            to_agency = service["agency_id"]
            sender = caseworker if rng.random() < 0.8 else rng.choice(caseworkers)
            if need == "post_rape_care":
                urgency = "emergency" if rng.random() < 0.7 else "urgent"
            elif risk_level == "high" and rng.random() < 0.6:
                urgency = "emergency"
            elif need in ("police_protection", "prosecution", "medical"):
                urgency = PUBLIC_URGENCY.pick(rng)
            else:
                urgency = OTHER_URGENCY.pick(rng)
            assault_at = sent_at - rng.randrange(2 * 3600, 60 * 3600) if need == "post_rape_care" else None
            if need not in consents:
                consents[need] = self._consent(case_hex, need, sent_at - 300, caseworker, owner, next_id, seal)
            consents[need][2] = sent_at
            shared = consents[need][1]
            referral_hex = _uuid7(sent_at * 1000 + rng.randrange(1000), rng)
            referral_id = _dashed(referral_hex)
            reference = f"REF-{_year(sent_at)}-{index * MAX_REFERRALS + j + 1:06d}"
            message = rng.choice(data.REFERRAL_MESSAGES) if rng.random() < 0.7 else None
            draft = j == len(offsets) - 1 and sent_at > plan.now - 7 * 86400 and rng.random() < 0.15
            row = {"id": referral_hex, "status": "draft", "need": need, "to_agency": to_agency,
                   "sent_at": sent_at, "bounced_at": None}
            if draft:
                life = None
                self.count("referrals.draft")
            else:
                recipient = ctx.recipients[to_agency]
                actions = ctx.replayer.plan(rng, sent_at, urgency, need, recipient)
                life = ctx.replayer.replay(rng, sent_at, urgency, need, recipient, assault_at, actions)
                row["status"] = life.status.value
                self.count(f"referrals.{life.status.value}")
                if life.status.value in ("declined", "returned"):
                    row["bounced_at"] = life.updated_at
                last_activity = max(last_activity, life.updated_at)
            self._referral_rows(row, life, case_hex, referral_id, reference, owner, to_agency, service,
                                need, urgency, shared, sender, caseworker, sent_at, assault_at, message, next_id,
                                seal)
            referrals.append(row)
        # Closed loop: a declined or returned referral is superseded by the next one for the same need.
        for r in referrals:
            if r["bounced_at"] is None:
                continue
            later = next((x for x in referrals if x["need"] == r["need"] and x["sent_at"] > r["bounced_at"]), None)
            if later is not None:
                r["row"][-1] = later["id"]
                self.count("referrals.superseded")
        for row_index, _fields, last_sent in consents.values():
            if rng.random() < 0.02:
                at = last_sent + rng.randrange(86400, 60 * 86400)
                if at < plan.now:
                    consent = self.rows["consents"][row_index]
                    consent[7], consent[8] = at, caseworker
                    self.rows["case_events"].append([next_id("case_events"), case_hex, "consent_withdrawn", at,
                                                     caseworker, owner, {"consent_id": consent[0]}, None])
                    self.count("consents.withdrawn")
        self.count("referrals", len(referrals))
        return referrals, last_activity

    def _consent(self, case_hex, need, at, caseworker, owner, next_id, seal) -> list:
        rng = self.rng
        fields = ["name", "contact"] if rng.random() < 0.95 else []
        for name, share in (("narrative", 0.5), ("national_id", 0.3), ("date_of_birth", 0.3),
                            ("risk_assessment", 0.4)):
            if rng.random() < share:
                fields.append(name)
        fields.sort()
        consent_id = next_id("consents")
        note = seal("consents", "note", consent_id, data.CONSENT_NOTE) if rng.random() < 0.2 else None
        self.rows["consents"].append([consent_id, case_hex, None, need, fields, caseworker, at, None, None, note])
        self.rows["case_events"].append([next_id("case_events"), case_hex, "consent_recorded", at, caseworker, owner,
                                         {"consent_id": consent_id, "agency_id": None, "category": need,
                                          "fields": fields}, None])
        return [len(self.rows["consents"]) - 1, fields, at]

    def _referral_rows(self, row, life, case_hex, referral_id, reference, owner, to_agency, service, need,
                       urgency, shared, sender, caseworker, sent_at, assault_at, message, next_id, seal) -> None:
        rng, plan = self.rng, self.plan
        referral_hex = row["id"]
        staff = plan.staff[to_agency]
        stamps = life.stamps if life else {}
        outcome = None
        if life is not None and life.status.value == "completed":
            outcome = seal("referrals", "outcome", referral_id, data.EVENT_MESSAGES["complete"])
        values = [
            referral_hex, reference, case_hex, owner, to_agency, service["id"], need, urgency, PRIORITY[urgency],
            row["status"], bool(life and life.is_open),
            life.status_before_info_request.value if life and life.status_before_info_request else None,
            shared, 1 + (len(life.events) if life else 0), sender, sent_at,
            life.updated_at if life else sent_at,
            stamps.get("sent_at"), stamps.get("acknowledged_at"), stamps.get("decided_at"),
            stamps.get("first_action_at"), stamps.get("completed_at"), assault_at,
            life.next_due_at if life else None, life.decline_reason if life else None,
            seal("referrals", "message", referral_id, message), outcome, None,
        ]
        row["row"] = values
        self.rows["referrals"].append(values)
        if life is None:
            return
        if life.is_open:
            self.count("referrals.open")
            if life.next_due_at is not None and life.next_due_at < plan.now:
                self.count("referrals.overdue")
        recipient_user = rng.choice(staff)
        for event in life.events:
            actor, agency = (sender, owner) if event.side == "sender" else (recipient_user, to_agency)
            event_id = next_id("referral_events")
            comment = seal("referral_events", "comment", event_id, data.EVENT_MESSAGES.get(event.message, "")) \
                if event.message else None
            self.rows["referral_events"].append([
                event_id, referral_hex, event.action, event.from_status.value if event.from_status else None,
                event.to_status.value, actor, agency, event.at, event.reason, comment])
            self._notify(event, actor, staff, sender, caseworker, referral_hex, reference, next_id)
        for timer in life.timers:
            timer_id = next_id("sla_timers")
            self.rows["sla_timers"].append([
                timer_id, referral_hex, timer.kind.value, timer.clock, timer.state, timer.started_at, timer.budget,
                timer.consumed, timer.due_at, timer.paused_at, timer.met_at, timer.breached_at])
            self.count(f"timers.{timer.state}")
            if timer.breached_at is not None:
                self._breach(timer, timer_id, referral_hex, reference, to_agency, staff, sender, caseworker,
                             next_id)
            elif timer.state == "running" and timer.due_at < plan.now:
                self.count("timers.due_unbreached")

    def _breach(self, timer, timer_id, referral_hex, reference, to_agency, staff, sender, caseworker,
                next_id) -> None:
        """The breach the sweep recorded, and its escalation to coordinators if it stayed unresolved
        long enough (as `jobs.sweep` does, a minute at a time, until `sweep_until`)."""
        plan = self.plan
        escalated_at = None
        escalate = (timer.breached_at + plan.escalate_after + 59) // 60 * 60
        if escalate < plan.sweep_until and (timer.resolved_at is None or escalate < timer.resolved_at):
            escalated_at = escalate
        breach_id = next_id("breaches")
        self.rows["breaches"].append([breach_id, timer_id, referral_hex, timer.kind.value, timer.due_at,
                                      timer.breached_at, timer.resolved_at, escalated_at])
        self.count("breaches.open" if timer.resolved_at is None else "breaches.resolved")
        params = {"reference": reference, "timers": [timer.kind.value]}
        self._notify_users(staff + [sender, caseworker], None, "referral.breach", params, referral_hex,
                           timer.breached_at, next_id)
        if escalated_at is None:
            return
        self.count("breaches.escalated")
        region = plan.agencies[to_agency]["region_id"]
        coordinators = plan.coordinators.get(None, []) + plan.coordinators.get(region, [])
        for user in coordinators:
            self.rows["escalations"].append([next_id("escalations"), breach_id, 1, user, escalated_at])
        self._notify_users(coordinators, None, "referral.escalation", params, referral_hex, escalated_at, next_id)

    def _notify(self, event, actor, staff, sender, caseworker, referral_hex, reference, next_id) -> None:
        users = staff if event.side == "sender" else [sender, caseworker]
        self._notify_users(users, actor, f"referral.{event.action}", {"reference": reference}, referral_hex,
                           event.at, next_id)

    def _notify_users(self, users, actor, kind, params, referral_hex, at, next_id) -> None:
        """In-app notifications of the last 30 days (older ones are long read; a file keeps 512)."""
        rng, plan = self.rng, self.plan
        if at < plan.now - NOTIFY_WINDOW:
            return
        for user in dict.fromkeys(users):
            if user == actor or next_id.full("notifications"):
                continue
            read = rng.random() < (0.9 if plan.now - at > 2 * 86400 else 0.4)
            read_at = min(plan.now - 1, at + rng.randrange(60, 2 * 86400)) if read else None
            self.rows["notifications"].append([next_id("notifications"), user, kind, params, referral_hex, None, at,
                                               read_at])



class Ids:
    """Integer ids of one file: `index * stride + 1 ...`, never into the next file's range."""

    __slots__ = ("last", "limit")

    def __init__(self, index: int):
        self.last = {table: index * stride for table, stride in STRIDES.items()}
        self.limit = {table: (index + 1) * stride for table, stride in STRIDES.items()}

    def __call__(self, table: str) -> int:
        value = self.last[table] + 1
        if value > self.limit[table]:
            raise OverflowError(f"more {table} rows in one file than its id stride allows")
        self.last[table] = value
        return value

    def full(self, table: str) -> bool:
        return self.last[table] >= self.limit[table]


def _bisect_weight(cumulative: list[float], x: float) -> int:
    lo, hi = 0, len(cumulative)
    while lo < hi:
        mid = (lo + hi) // 2
        if cumulative[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return min(lo, len(cumulative) - 1)
