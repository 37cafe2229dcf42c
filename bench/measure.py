"""In-process measurements, each beside its floor: the same work done the barest way possible.

Every function returns plain numbers (milliseconds, counts, ratios) so `bench.run` can write them
to JSON and the smoke test can check they were produced. Nothing here asserts a target.
"""

from __future__ import annotations

import os
import re
import statistics
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, render_template_string, url_for
from sqlalchemy import event, func, select, text

from referral.audit.context import Actor, acting_as
from referral.extensions import db
from referral.models import Case, Referral, SlaTimer, User, UserRole
from referral.models.vocab import Role
from referral.policy.recipients import recipient_access
from referral.security.crypto import FieldCipher, field_aad

BARE_ENDPOINT = "bench_bare"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


# -- statistics -------------------------------------------------------------------------------------------
def summary(seconds: list[float]) -> dict:
    """p50 / p99 / mean / max in milliseconds of a list of durations in seconds."""
    if not seconds:
        return {"n": 0}
    ordered = sorted(seconds)
    n = len(ordered)

    def pct(p: float) -> float:
        return ordered[min(n - 1, max(0, round(p / 100 * n + 0.5) - 1))] * 1000

    return {"n": n, "p50_ms": round(pct(50), 3), "p99_ms": round(pct(99), 3),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 3), "max_ms": round(ordered[-1] * 1000, 3)}


def ratio(value: float | None, floor: float | None) -> float | None:
    if not value or not floor:
        return None
    return round(value / floor, 2)


def _timed(fn: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


@contextmanager
def counting_queries(engine):
    """Counts statements sent to the database while the block runs (`counter["n"]`)."""
    counter = {"n": 0}

    def count(*_args, **_kwargs):
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", count)


def actor_for(user: User) -> Actor:
    return Actor(user_id=user.id, username=user.username, agency_id=user.agency_id,
                 roles=tuple(sorted(r.value for r in user.roles)), channel="bench")


# -- field encryption ---------------------------------------------------------------------------------------
PAYLOADS = {
    "name_28B": "فاطمة الزهراء بنعلي",
    "phone_10B": "0612345678",
    "narrative_512B": ("Violences physiques répétées du conjoint ; elle a quitté le domicile. " * 8)[:512],
    "answers_700B": "{" + ",".join(f'"question_{i:02d}":true' for i in range(28)) + "}",
}


def measure_crypto(iterations: int = 20_000) -> dict:
    """FieldCipher.encrypt/decrypt against raw AESGCM with a fresh nonce, on the same payloads and AAD.

    The floor is what any correct use of AES-GCM must do: draw a nonce and call the primitive. The
    ratio is the cost of our envelope (version byte, nonce prefix, checks).
    """
    key = os.urandom(32)
    cipher, raw = FieldCipher(key), AESGCM(key)
    aad = field_aad("cases", "narrative", uuid.uuid4())
    results = {}
    for name, text_value in PAYLOADS.items():
        data = text_value.encode()
        blob = cipher.encrypt(data, aad)
        nonce, body = blob[1:13], blob[13:]
        ours_enc = _best_of(lambda d=data: cipher.encrypt(d, aad), iterations)
        raw_enc = _best_of(lambda d=data: raw.encrypt(os.urandom(12), d, aad), iterations)
        ours_dec = _best_of(lambda b=blob: cipher.decrypt(b, aad), iterations)
        raw_dec = _best_of(lambda n=nonce, b=body: raw.decrypt(n, b, aad), iterations)
        results[name] = {
            "bytes": len(data),
            "encrypt_us": round(ours_enc * 1e6, 3), "raw_encrypt_us": round(raw_enc * 1e6, 3),
            "encrypt_ratio": ratio(ours_enc, raw_enc),
            "decrypt_us": round(ours_dec * 1e6, 3), "raw_decrypt_us": round(raw_dec * 1e6, 3),
            "decrypt_ratio": ratio(ours_dec, raw_dec),
        }
    worst = max(max(r["encrypt_ratio"], r["decrypt_ratio"]) for r in results.values())
    return {"iterations": iterations, "payloads": results, "worst_ratio": worst}


def measure_seal(app: Flask, iterations: int = 5_000) -> dict:
    """The services' path, `case_crypto.seal` / `unseal` (per-request key cache, AAD built per call)
    on a real file, against raw AES-GCM with the same key and payload."""
    from referral.security.case_crypto import case_cipher, seal, unseal

    with app.app_context():
        case_id = db.session.execute(select(Case.id).where(Case.shredded_at.is_(None)).limit(1)).scalar_one()
        first_unwrap = _timed(lambda: case_cipher(case_id), 1)[0]  # cold: reads and unwraps the data key
        value = PAYLOADS["narrative_512B"]
        blob = seal(case_id, "cases", "narrative", case_id, value)
        key_cipher = case_cipher(case_id)
        raw = key_cipher._aead
        aad = field_aad("cases", "narrative", case_id)
        data = value.encode()
        ours_seal = _best_of(lambda: seal(case_id, "cases", "narrative", case_id, value), iterations)
        ours_unseal = _best_of(lambda: unseal(case_id, "cases", "narrative", case_id, blob), iterations)
        raw_enc = _best_of(lambda: raw.encrypt(os.urandom(12), data, aad), iterations)
        raw_dec = _best_of(lambda: raw.decrypt(blob[1:13], blob[13:], aad), iterations)
        db.session.rollback()
    return {"iterations": iterations, "seal_us": round(ours_seal * 1e6, 3), "unseal_us": round(ours_unseal * 1e6, 3),
            "raw_encrypt_us": round(raw_enc * 1e6, 3), "raw_decrypt_us": round(raw_dec * 1e6, 3),
            "seal_ratio": ratio(ours_seal, raw_enc), "unseal_ratio": ratio(ours_unseal, raw_dec),
            "first_unwrap_ms": round(first_unwrap * 1000, 3)}


def _best_of(fn: Callable[[], object], iterations: int, rounds: int = 5) -> float:
    """Seconds per call: the best of a few rounds (the least disturbed by other processes)."""
    per_round = max(1, iterations // rounds)
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(per_round):
            fn()
        best = min(best, (time.perf_counter() - started) / per_round)
    return best


# -- SLA sweep ------------------------------------------------------------------------------------------------
DUE_SQL = (
    "SELECT t.id, t.referral_id FROM sla_timers t JOIN referrals r ON r.id = t.referral_id "
    "WHERE t.state = 'running' AND t.breached_at IS NULL AND t.due_at <= %(now)s"
)


def _sweep_function():
    try:
        from referral.jobs.sweep import run_sla_sweep
    except ImportError:
        return None
    return run_sla_sweep


def last_sweep(app: Flask) -> datetime:
    """When the sweep last finished (the generator records it), else now."""
    from referral.models import JobLock

    with app.app_context():
        last = db.session.execute(select(JobLock.last_finished_at).where(JobLock.name == "sla_sweep")).scalar()
        db.session.rollback()
    return last or datetime.now(UTC)


def measure_sweep(app: Flask, *, backlog_minutes: tuple[int, ...] = (1, 60, 24 * 60), repeat: int = 5) -> dict:
    """The sweep one minute after its last run (its steady state), and after an hour and a day
    without running (a backlog after an outage).

    With `referral.jobs.sweep.run_sla_sweep` present, the sweep itself is timed (`now=` the
    simulated time) inside an outer transaction rolled back at the end, so each repetition sees the
    same work. Otherwise the due-timer query is timed through the ORM (timers and referrals loaded
    as objects). The floor is the bare SQL returning the same due timers.
    """
    sweep = _sweep_function()
    base = last_sweep(app)
    results = {"sweep_function": "referral.jobs.sweep.run_sla_sweep" if sweep else None,
               "last_sweep": base.isoformat(), "runs": []}
    with app.app_context():
        dialect = db.engine.dialect.name
        for minutes in backlog_minutes:
            now = base + timedelta(minutes=minutes)
            floor_times, due = [], 0
            for _ in range(repeat):
                raw = db.engine.raw_connection()
                try:
                    cur = raw.cursor()
                    sql = DUE_SQL if dialect == "postgresql" else DUE_SQL.replace("%(now)s", "?")
                    param = {"now": now} if dialect == "postgresql" else (now.replace(tzinfo=None).isoformat(" "),)
                    started = time.perf_counter()
                    cur.execute(sql, param)
                    due = len(cur.fetchall())
                    floor_times.append(time.perf_counter() - started)
                    raw.rollback()
                finally:
                    raw.close()
            runs = repeat if minutes <= 1 else min(repeat, 3)  # a backlog run is long and always the same work
            if sweep is not None:
                app_times, detail = _time_sweep(sweep, now, runs)
            else:
                app_times, detail = _time_due_query(now, runs), {}
            run = {"minutes_since_last_sweep": minutes, "due_timers": due, "app": summary(app_times),
                   "floor": summary(floor_times),
                   "ratio_p50": ratio(statistics.median(app_times), statistics.median(floor_times)), **detail}
            if dialect == "postgresql":
                run["plan"] = _explain(DUE_SQL, {"now": now})
            results["runs"].append(run)
    return results


def _time_due_query(now: datetime, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        rows = db.session.execute(
            select(SlaTimer, Referral).join(Referral, Referral.id == SlaTimer.referral_id)
            .where(SlaTimer.state == "running", SlaTimer.breached_at.is_(None), SlaTimer.due_at <= now)
        ).all()
        times.append(time.perf_counter() - started)
        db.session.rollback()
        db.session.expunge_all()
        del rows
    return times


@contextmanager
def rolled_back_session():
    """The app's session bound to one connection whose outer transaction is rolled back at the
    end: whatever the code under test commits becomes a savepoint, and nothing is kept."""
    from sqlalchemy.orm import scoped_session, sessionmaker

    connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    # A plain SQLAlchemy session: Flask-SQLAlchemy's picks the engine itself and would ignore `bind`.
    session = scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    db.session = session
    try:
        yield session
    finally:
        session.remove()
        db.session = original
        outer.rollback()
        connection.close()


def _time_sweep(sweep, now: datetime, repeat: int) -> tuple[list[float], dict]:
    times, queries, outcome = [], [], None
    for _ in range(repeat):
        with rolled_back_session(), counting_queries(db.engine) as counter:
            started = time.perf_counter()
            outcome = sweep(now=now)
            times.append(time.perf_counter() - started)
            queries.append(counter["n"])
    return times, {"queries": queries, "sweep_result": _jsonable(outcome)}


def _jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "__dict__"):
        return {k: _jsonable(v) for k, v in vars(value).items() if not k.startswith("_")}
    return str(value)


def _explain(sql: str, params: dict) -> list[str]:
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
        lines = [row[0] for row in cur.fetchall()]
        raw.rollback()
    finally:
        raw.close()
    return lines


# -- search --------------------------------------------------------------------------------------------------
def pick_search_targets(app: Flask, count: int) -> list[dict]:
    """Files to look for: their owner's caseworker, and their phone and name (decrypted, in memory)."""
    from referral.security.case_crypto import unseal_text

    targets = []
    with app.app_context():
        rows = db.session.execute(
            select(Case).where(Case.shredded_at.is_(None), Case.phone_ct.is_not(None))
            .order_by(func.random()).limit(count)
        ).scalars().all()
        for case in rows:
            targets.append({
                "case_id": case.id, "case_number": case.case_number, "caseworker_id": case.caseworker_id,
                "phone": unseal_text(case.id, "cases", "phone", case.id, case.phone_ct),
                "full_name": unseal_text(case.id, "cases", "full_name", case.id, case.full_name_ct),
            })
        db.session.rollback()
    return targets


def measure_search(app: Flask, samples: int = 200) -> dict:
    """`services.cases.search` by phone and by name (rolled back: it writes an audit event), against
    one probe of the blind index (the floor: what any blind-index lookup must do)."""
    from referral.services import cases

    targets = pick_search_targets(app, samples)
    results = {}
    with app.app_context():
        index = app.extensions["masar.keys"].blind_index
        for column in ("phone", "full_name"):
            app_times, floor_times, found, candidates = [], [], 0, []
            for target in targets:
                user = db.session.get(User, target["caseworker_id"])
                with acting_as(actor_for(user)):
                    started = time.perf_counter()
                    matches = cases.search(user, column, target[column])
                    app_times.append(time.perf_counter() - started)
                found += any(m.id == target["case_id"] for m in matches)
                digest = index.compute(column, target[column])
                db.session.rollback()
                started = time.perf_counter()
                hits = db.session.execute(
                    text('SELECT case_id FROM case_blind_indexes WHERE "column" = :c AND value = :v'),
                    {"c": column, "v": digest}).all()
                floor_times.append(time.perf_counter() - started)
                candidates.append(len(hits))
                db.session.rollback()
            results[column] = {"app": summary(app_times), "floor": summary(floor_times),
                               "ratio_p50": ratio(statistics.median(app_times), statistics.median(floor_times))
                               if app_times else None,
                               "found": found, "searched": len(targets),
                               "index_candidates_mean": round(statistics.fmean(candidates), 2) if candidates else 0}
    return results


# -- pages through the test client ----------------------------------------------------------------------------
def add_bare_route(app: Flask) -> None:
    """The floor of a page: logged in like any page, one indexed query, one row rendered.

    Must be called before the app serves its first request (Flask freezes the URL map then).
    """
    if BARE_ENDPOINT in app.view_functions:
        return

    def bench_bare(referral_id: str):
        row = db.session.execute(select(Referral.reference, Referral.status)
                                 .where(Referral.id == uuid.UUID(referral_id))).one()
        return render_template_string("<p>{{ ref }} {{ status }}</p>", ref=row.reference, status=row.status.value)

    app.add_url_rule("/_bench/bare/<referral_id>", BARE_ENDPOINT, bench_bare)


#: The last second-factor code each user logged in with (the app refuses a code used twice).
_codes_used: dict[int, str] = {}


def login(client, app: Flask, user_id: int) -> None:
    """The real two-step login through the pages (password, then a TOTP code).

    The requests run outside any app context of ours: requests sharing one app context share `g`,
    where Flask-WTF keeps the CSRF token of whoever asked first.
    """
    import pyotp

    from referral.services import accounts

    from .network import BENCH_PASSWORD

    with app.app_context():
        user = db.session.get(User, user_id)
        username, secret = user.username, accounts.totp_secret(user)
        db.session.rollback()
    token = _csrf(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": username, "password": BENCH_PASSWORD, "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"login of {username} failed at the password step ({response.status_code})")
    token = _csrf(client.get("/login/verify").get_data(as_text=True))
    code = pyotp.TOTP(secret).now()
    while code == _codes_used.get(user_id):  # a code is single-use: a second login waits for the next
        time.sleep(1)
        code = pyotp.TOTP(secret).now()
    _codes_used[user_id] = code
    response = client.post("/login/verify", data={"code": code, "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"login of {username} failed at the second factor ({response.status_code})")


def _csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    if not match:
        raise RuntimeError("no CSRF token on the login page")
    return match.group(1) or match.group(2)


def busiest_user(role: Role, *, inbox: bool) -> User:
    """The officer whose agency receives the most open referrals, or the caseworker of the
    association owning the most files: the heaviest pages of their kind."""
    staff = select(User.agency_id).join(UserRole, UserRole.user_id == User.id).where(UserRole.role == role)
    if inbox:
        agency_id = db.session.execute(
            select(Referral.to_agency_id).where(Referral.is_open.is_(True), Referral.to_agency_id.in_(staff))
            .group_by(Referral.to_agency_id).order_by(func.count().desc()).limit(1)).scalar_one()
    else:
        agency_id = db.session.execute(
            select(Case.owner_agency_id).where(Case.owner_agency_id.in_(staff)).group_by(Case.owner_agency_id)
            .order_by(func.count().desc()).limit(1)).scalar_one()
    return db.session.execute(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(User.agency_id == agency_id, UserRole.role == role).order_by(User.id).limit(1)).scalar_one()


def page_targets(app: Flask, samples: int) -> dict:
    """Users and URLs for the page measurements (ids only: the pages load everything themselves)."""
    with app.app_context():
        officer = busiest_user(Role.OFFICER, inbox=True)
        caseworker = busiest_user(Role.CASEWORKER, inbox=False)
        # Files the officer still reads: access ends with a declined, returned or withdrawn referral,
        # a closed file or a withdrawn consent, and a month after completion (policy/recipients.py).
        candidates = db.session.execute(
            select(Referral).where(Referral.to_agency_id == officer.agency_id, Referral.status != "draft",
                                   Referral.status != "withdrawn")
            .order_by(func.random()).limit(3 * samples)).scalars().all()
        officer_referrals = [r for r in candidates if recipient_access(r.case, r).open][:samples]
        owned = db.session.execute(select(Case.id).where(Case.owner_agency_id == caseworker.agency_id)
                                   .order_by(func.random()).limit(samples)).scalars().all()
        open_count = db.session.execute(select(func.count()).select_from(Referral).where(
            Referral.to_agency_id == officer.agency_id, Referral.is_open.is_(True))).scalar_one()
        result = {"officer": officer.id, "caseworker": caseworker.id,
                  "officer_inbox_open": open_count, "caseworker_files": len(owned),
                  "officer_referrals": [str(r.id) for r in officer_referrals],
                  "officer_cases": [str(r.case_id) for r in officer_referrals],
                  "caseworker_cases": [str(c) for c in owned]}
        db.session.rollback()
    return result


def measure_pages(app: Flask, samples: int = 200) -> dict:
    """Server time and queries per page for an officer's and a caseworker's pages, against the bare
    endpoint, all through the Flask test client with real logged-in sessions."""
    if BARE_ENDPOINT not in app.view_functions:
        raise RuntimeError("call add_bare_route(app) before the app serves any request")
    targets = page_targets(app, samples)
    officer_client, caseworker_client = app.test_client(), app.test_client()
    login(officer_client, app, targets["officer"])
    login(caseworker_client, app, targets["caseworker"])
    inbox_pages = max(1, min(20, targets["officer_inbox_open"] // 25))
    referrals = targets["officer_referrals"] or [None]
    plans = {
        "bare_endpoint": (officer_client, [f"/_bench/bare/{r}" for r in referrals]),
        "officer_inbox": (officer_client, [f"/referrals/inbox?page={1 + i % inbox_pages}" for i in range(samples)]),
        "officer_inbox_closed_tab": (officer_client,
                                     [f"/referrals/inbox?tab=closed&page={1 + i % 5}" for i in range(samples)]),
        "officer_referral_page": (officer_client, [f"/referrals/{r}" for r in referrals]),
        "officer_file_page": (officer_client, [f"/cases/{c}" for c in targets["officer_cases"]]),
        "caseworker_file_page": (caseworker_client, [f"/cases/{c}" for c in targets["caseworker_cases"]]),
        "caseworker_file_list": (caseworker_client, [f"/cases/?page={1 + i % 20}" for i in range(samples)]),
        "officer_home": (officer_client, ["/"] * min(samples, 50)),
        "caseworker_home": (caseworker_client, ["/"] * min(samples, 50)),
    }
    results = {"officer_inbox_open_referrals": targets["officer_inbox_open"],
               "caseworker_agency_files_sampled": targets["caseworker_files"], "pages": {}}
    for name, (client, urls) in plans.items():
        urls = [u for u in urls if u and not u.endswith("/None")]
        if urls:
            results["pages"][name] = _measure_urls(app, client, urls)
    bare = results["pages"].get("bare_endpoint", {}).get("time", {})
    for page in results["pages"].values():
        page["ratio_p50"] = ratio(page["time"].get("p50_ms"), bare.get("p50_ms"))
        page["ratio_p99"] = ratio(page["time"].get("p99_ms"), bare.get("p99_ms"))
    return results


def _measure_urls(app: Flask, client, urls: list[str]) -> dict:
    client.get(urls[0])  # warm up templates and caches once
    times, queries, statuses = [], [], {}
    engine = _engine(app)
    for url in urls:
        with counting_queries(engine) as counter:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        queries.append(counter["n"])
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    return {"time": summary(times), "queries": {"min": min(queries), "max": max(queries),
                                                "median": statistics.median(queries)},
            "statuses": {str(k): v for k, v in sorted(statuses.items())}}


def _engine(app: Flask):
    with app.app_context():
        return db.engine


# -- dashboard ---------------------------------------------------------------------------------------------------
#: The floor of the dashboard: one pass over the year's referrals with plain aggregates (counts and
#: mean times to acknowledge and decide by status and urgency; no percentiles, no breach lookup).
YEAR_AGGREGATE_SQL = """
SELECT r.status, r.urgency, count(*), count(r.acknowledged_at),
       avg(extract(epoch FROM r.acknowledged_at - r.sent_at)), avg(extract(epoch FROM r.decided_at - r.sent_at))
FROM referrals r WHERE r.sent_at >= %(since)s AND r.sent_at < %(until)s
GROUP BY r.status, r.urgency
"""


def measure_dashboard(app: Flask, client=None, samples: int = 5, timeout_s: int = 120) -> dict:
    """The coordinator dashboard over one year of referrals: the service (`metrics.overview`) and
    the page, beside a bare SQL aggregate of the same year (counts, mean time to acknowledge and
    breached share by status and urgency: one scan of the year's referrals)."""
    result: dict = {}
    today = datetime.now(UTC).date()
    first = today - timedelta(days=364)
    with app.app_context():
        coordinator_id = db.session.execute(
            select(User.id).join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.COORDINATOR, User.region_id.is_(None)).limit(1)).scalar_one()
        if db.engine.dialect.name == "postgresql":
            result["floor_year_aggregate_sql"] = _time_raw(YEAR_AGGREGATE_SQL, {
                "since": datetime.combine(first, datetime.min.time(), UTC),
                "until": datetime.combine(today + timedelta(days=1), datetime.min.time(), UTC)}, samples)
        try:
            from referral.services import metrics
        except ImportError:
            metrics = None
        if metrics is not None and hasattr(metrics, "overview"):
            result["service"] = _time_overview(metrics, coordinator_id, first, today, samples, timeout_s)
            regional_id = db.session.execute(
                select(User.id).join(UserRole, UserRole.user_id == User.id)
                .where(UserRole.role == Role.COORDINATOR, User.region_id.is_not(None)).limit(1)).scalar_one()
            result["service_regional_90_days"] = _time_overview(metrics, regional_id, today - timedelta(days=89),
                                                                today, samples, timeout_s)
            if hasattr(metrics, "EXACT_PERCENTILES_UP_TO"):
                result["estimates"] = _estimate_accuracy(metrics, coordinator_id, first, today, timeout_s)
        db.session.rollback()
        has_page = "dashboard.index" in app.view_functions
        if has_page:
            with app.test_request_context():
                url = url_for("dashboard.index", date_from=first.isoformat(), date_to=today.isoformat(), by="agency")
    floor = result.get("floor_year_aggregate_sql", {})
    if "service" in result:
        result["service"]["ratio_p50"] = ratio(result["service"]["time"].get("p50_ms"), floor.get("p50_ms"))
    if not has_page:
        result["page"] = None
        result["note"] = "no dashboard page (endpoint dashboard.index) in this build"
        return result
    service = result.get("service", {})
    if service.get("timed_out") or service.get("time", {}).get("p50_ms", 0) > 30_000:
        result["page"] = None
        result["note"] = "page not measured: it runs the same service, which took longer than 30 s"
        return result
    client = client or app.test_client()
    login(client, app, coordinator_id)
    result["page"] = _measure_urls(app, client, [url] * samples)
    result["page"]["url"] = url
    result["ratio_p50"] = ratio(result["page"]["time"].get("p50_ms"), floor.get("p50_ms"))
    return result


def _time_overview(metrics, coordinator_id: int, first, last, samples: int, timeout_s: int) -> dict:
    """`metrics.overview` for one year; each statement is cut at `timeout_s` (a runaway query would
    otherwise hold the benchmark for hours), and one slow call is enough to report."""
    from sqlalchemy.exc import OperationalError

    user = db.session.get(User, coordinator_id)
    period = metrics.MetricsFilter.for_dates(first, last)
    times = []
    with acting_as(actor_for(user)):
        for _ in range(samples):
            if db.engine.dialect.name == "postgresql":
                db.session.execute(text(f"SET statement_timeout = '{int(timeout_s)}s'"))
            started = time.perf_counter()
            try:
                view = metrics.overview(user, period, "agency")
            except OperationalError:
                db.session.rollback()
                return {"timed_out": True, "timeout_s": timeout_s, "time": {"n": 0}}
            times.append(time.perf_counter() - started)
            db.session.rollback()  # also ends the SET
            if times[-1] > 5:
                break
    return {"time": summary(times), "referrals_in_year": getattr(view.totals, "sent", None)}


def _estimate_accuracy(metrics, coordinator_id: int, first, last, timeout_s: int) -> dict:
    """The one-year dashboard's estimated medians and 90th percentiles (per agency and in total)
    beside the exact ones (`percentile_cont` over the referrals, which is what the estimate saves)."""
    user = db.session.get(User, coordinator_id)
    period = metrics.MetricsFilter.for_dates(first, last)
    with acting_as(actor_for(user)):
        view = metrics.overview(user, period, "agency", trend=False)
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text(f"SET statement_timeout = '{int(timeout_s)}s'"))
        started = time.perf_counter()
        exact = metrics._exact_percentiles(user, period, "agency")
        exact.update(metrics._exact_percentiles(user, period, None))
        exact_seconds = time.perf_counter() - started
        db.session.rollback()
    errors: dict[str, list[float]] = {"p50": [], "p90": []}
    for row in [view.totals, *view.groups]:
        for step, duration in row.durations.items():
            median, p90 = exact.get((row.key, step), (None, None))
            for name, estimate, truth in (("p50", duration.median, median), ("p90", duration.p90, p90)):
                if estimate is not None and truth:
                    errors[name].append(abs(estimate - float(truth)) / float(truth))
    report = {"exact_percentiles_s": round(exact_seconds, 2), "groups": len(view.groups) + 1,
              "estimated": bool(view.totals.durations["acknowledge"].estimated)}
    for name, values in errors.items():
        values.sort()
        if values:
            report[name] = {"compared": len(values), "median_rel_error": round(values[len(values) // 2], 4),
                            "max_rel_error": round(values[-1], 4)}
    return report


def _time_raw(sql: str, params: dict, samples: int) -> dict:
    raw = db.engine.raw_connection()
    try:
        times = []
        for _ in range(samples):
            cur = raw.cursor()
            started = time.perf_counter()
            cur.execute(sql, params)
            cur.fetchall()
            times.append(time.perf_counter() - started)
            raw.rollback()
    finally:
        raw.close()
    return summary(times)


# -- observatory -------------------------------------------------------------------------------------------------
#: The floor of the observatory's yearly report: one grouped count of the year's files by region
#: and one fact, the least a report by region can ask of the database.
YEAR_FILES_BY_REGION_SQL = """
SELECT c.region_id, c.violence_type, count(*) FROM cases c
WHERE c.opened_at >= %(since)s AND c.opened_at < %(until)s GROUP BY c.region_id, c.violence_type
"""


def measure_observatory(app: Flask, client=None, samples: int = 5) -> dict:
    """The national yearly observatory report of the last whole year: the service
    (`observatory_report.report`, this year and the previous one, every indicator, suppression) and
    the page (with its charts), for the national coordinator, beside the floor above."""
    from referral.services.observatory import Period
    from referral.services.observatory_report import report

    timezone = app.config.get("DEFAULT_TIMEZONE", "Africa/Casablanca")
    period = Period.last_complete("year", datetime.now(UTC), timezone)
    since, until = period.bounds(timezone)
    result: dict = {"period": period.code}
    with app.app_context():
        coordinator_id = db.session.execute(
            select(User.id).join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.COORDINATOR, User.region_id.is_(None)).limit(1)).scalar_one()
        result["files_opened_in_year"] = db.session.execute(
            select(func.count()).select_from(Case).where(Case.opened_at >= since, Case.opened_at < until)
        ).scalar_one()
        if db.engine.dialect.name == "postgresql":
            result["floor_year_files_by_region_sql"] = _time_raw(
                YEAR_FILES_BY_REGION_SQL, {"since": since, "until": until}, samples)
        user = db.session.get(User, coordinator_id)
        times = []
        with acting_as(actor_for(user)):
            for _ in range(samples):
                started = time.perf_counter()
                made = report(user, period, timezone=timezone)
                times.append(time.perf_counter() - started)
                db.session.rollback()  # the audit event of each reading is not kept
        result["service"] = {"time": summary(times), "files_counted": made.files, "excluded": made.excluded}
        with app.test_request_context():
            url = url_for("observatory.index", period=period.code)
    client = client or app.test_client()
    login(client, app, coordinator_id)
    result["page"] = _measure_urls(app, client, [url] * samples)
    result["page"]["url"] = url
    floor = result.get("floor_year_files_by_region_sql", {}).get("p50_ms")
    result["service"]["ratio_p50"] = ratio(result["service"]["time"].get("p50_ms"), floor)
    result["ratio_p50"] = ratio(result["page"]["time"].get("p50_ms"), floor)
    return result
