"""Column lists of the bulk-loaded tables and how their values are written for each database.

Rows are built as plain Python values; `encode` turns them into PostgreSQL COPY text (one string
per table) or into tuples for SQLite's executemany, in the storage formats SQLAlchemy's types use
(UUIDs as 32 hex digits on SQLite, timestamps as naive UTC strings, booleans as 0/1).
"""

from __future__ import annotations

import json
from datetime import date

#: Bulk tables in foreign-key order, each with (column, kind) in COPY order.
TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "cases": (
        ("id", "uuid"), ("case_number", "text"), ("owner_agency_id", "int"), ("caseworker_id", "int"),
        ("status", "text"), ("channel", "text"), ("version", "int"), ("opened_at", "ts"), ("closed_at", "ts"),
        ("closure_reason", "text"), ("last_activity_at", "ts"), ("region_id", "int"), ("age_band", "text"),
        ("disability", "bool"), ("violence_type", "text"), ("violence_flags", "json"),
        ("perpetrator_relationship", "text"), ("incident_date", "date"), ("incident_place", "text"),
        ("risk_level", "text"), ("full_name_ct", "bytes"), ("phone_ct", "bytes"), ("address_ct", "bytes"),
        ("contact_instructions_ct", "bytes"), ("national_id_ct", "bytes"), ("date_of_birth_ct", "bytes"),
        ("narrative_ct", "bytes"), ("shredded_at", "ts"), ("statistics_consent", "text"),
        ("services_received", "json"),
    ),
    "case_keys": (("case_id", "uuid"), ("master_key_id", "text"), ("wrapped_key", "bytes"), ("created_at", "ts"),
                  ("rotated_at", "ts")),
    "case_blind_indexes": (("id", "int"), ("case_id", "uuid"), ("column", "text"), ("value", "int")),
    "case_events": (("id", "int"), ("case_id", "uuid"), ("kind", "text"), ("occurred_at", "ts"),
                    ("actor_user_id", "int"), ("actor_agency_id", "int"), ("details", "json"),
                    ("comment_ct", "bytes")),
    "consents": (("id", "int"), ("case_id", "uuid"), ("agency_id", "int"), ("service_category", "text"),
                 ("fields", "json"), ("recorded_by_id", "int"), ("recorded_at", "ts"), ("withdrawn_at", "ts"),
                 ("withdrawn_by_id", "int"), ("note_ct", "bytes")),
    "risk_assessments": (("id", "int"), ("case_id", "uuid"), ("questionnaire_version", "text"),
                         ("answers_ct", "bytes"), ("score", "int"), ("computed_level", "text"), ("level", "text"),
                         ("judgement_ct", "bytes"), ("assessed_by_id", "int"), ("assessed_at", "ts")),
    "notes": (("id", "uuid"), ("case_id", "uuid"), ("referral_id", "uuid"), ("author_id", "int"),
              ("author_agency_id", "int"), ("created_at", "ts"), ("body_ct", "bytes")),
    "referrals": (
        ("id", "uuid"), ("reference", "text"), ("case_id", "uuid"), ("from_agency_id", "int"),
        ("to_agency_id", "int"), ("service_id", "int"), ("need", "text"), ("urgency", "text"), ("priority", "int"),
        ("status", "text"), ("is_open", "bool"), ("status_before_info_request", "text"), ("shared_fields", "json"),
        ("version", "int"), ("created_by_id", "int"), ("created_at", "ts"), ("updated_at", "ts"),
        ("sent_at", "ts"), ("acknowledged_at", "ts"), ("decided_at", "ts"), ("first_action_at", "ts"),
        ("completed_at", "ts"), ("assault_at", "ts"), ("next_due_at", "ts"), ("decline_reason", "text"),
        ("message_ct", "bytes"), ("outcome_ct", "bytes"), ("superseded_by_id", "uuid"),
    ),
    "referral_events": (("id", "int"), ("referral_id", "uuid"), ("action", "text"), ("from_status", "text"),
                        ("to_status", "text"), ("actor_user_id", "int"), ("actor_agency_id", "int"),
                        ("occurred_at", "ts"), ("reason_code", "text"), ("comment_ct", "bytes")),
    "sla_timers": (("id", "int"), ("referral_id", "uuid"), ("kind", "text"), ("clock", "text"), ("state", "text"),
                   ("started_at", "ts"), ("budget_minutes", "int"), ("consumed_minutes", "int"), ("due_at", "ts"),
                   ("paused_at", "ts"), ("met_at", "ts"), ("breached_at", "ts")),
    "breaches": (("id", "int"), ("timer_id", "int"), ("referral_id", "uuid"), ("kind", "text"), ("due_at", "ts"),
                 ("breached_at", "ts"), ("resolved_at", "ts"), ("escalated_at", "ts")),
    "escalations": (("id", "int"), ("breach_id", "int"), ("level", "int"), ("notified_user_id", "int"),
                    ("created_at", "ts")),
    "notifications": (("id", "int"), ("user_id", "int"), ("kind", "text"), ("params", "json"),
                      ("referral_id", "uuid"), ("case_id", "uuid"), ("created_at", "ts"), ("read_at", "ts")),
}

#: Tables whose integer ids the generator assigns, so their sequences must move past them afterwards.
SERIAL_TABLES = ("case_blind_indexes", "case_events", "consents", "risk_assessments", "referral_events",
                 "sla_timers", "breaches", "escalations", "notifications")

_DAYS: dict[int, str] = {}
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _day(days: int) -> str:
    text = _DAYS.get(days)
    if text is None:
        text = _DAYS[days] = date.fromordinal(_EPOCH_ORDINAL + days).isoformat()
    return text


_TIMES_OF_DAY: list[str] = []


def ts_pg(t: int) -> str:
    """A timestamptz literal; the 86,400 times of day are formatted once per process."""
    if not _TIMES_OF_DAY:
        _TIMES_OF_DAY.extend(f" {s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}+00" for s in range(86400))
    days, rest = divmod(t, 86400)
    return _day(days) + _TIMES_OF_DAY[rest]


def ts_sqlite(t: int) -> str:
    days, rest = divmod(t, 86400)
    return f"{_day(days)} {rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}.000000"


def _pg_text(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


PG = {
    "uuid": lambda v: v,
    "text": _pg_text,
    "int": str,
    "ts": ts_pg,
    "date": lambda v: v,
    "bool": lambda v: "t" if v else "f",
    "json": lambda v: json.dumps(v, separators=(",", ":")).replace("\\", "\\\\"),
    "bytes": lambda v: "\\\\x" + v.hex(),
}
SQLITE = {
    "uuid": lambda v: v,
    "text": lambda v: v,
    "int": lambda v: v,
    "ts": ts_sqlite,
    "date": lambda v: v,
    "bool": lambda v: 1 if v else 0,
    "json": lambda v: json.dumps(v),
    "bytes": lambda v: v,
}


def encode(dialect: str, table: str, rows: list[list]) -> str | list[tuple]:
    """COPY text for PostgreSQL, tuples for SQLite. None is NULL in both."""
    if dialect == "postgresql":
        line = _pg_formatter(table)
        return "".join([line(row) for row in rows])
    fns = [SQLITE[kind] for _, kind in TABLES[table]]
    return [tuple(None if v is None else f(v) for f, v in zip(fns, row, strict=True)) for row in rows]


_PG_EXPRESSIONS = {
    # Text columns hold codes and numbers the generator makes (no tab, newline or backslash).
    "uuid": "{v}", "text": "{v}", "int": "str({v})", "ts": "T({v})", "date": "{v}",
    "bool": "('t' if {v} else 'f')", "json": "J({v})", "bytes": "B + {v}.hex()",
}
_PG_FORMATTERS: dict = {}


def _pg_formatter(table: str):
    """One compiled function per table turning a row into a COPY line: a generic loop over columns
    with a function call per value costs a third of the generator's time at a million files."""
    formatter = _PG_FORMATTERS.get(table)
    if formatter is None:
        names = [f"a{i}" for i in range(len(TABLES[table]))]
        parts = [f"(N if {n} is None else {_PG_EXPRESSIONS[kind].format(v=n)})"
                 for n, (_, kind) in zip(names, TABLES[table], strict=True)]
        source = (f"def line(row):\n    {', '.join(names)}, = row\n"
                  f"    return '\\t'.join(({', '.join(parts)},)) + '\\n'\n")
        # COPY text: NULL is \N; a bytea value is \x plus hex, its backslash doubled for COPY.
        scope = {"N": "\\N", "B": "\\\\x", "X": _pg_text, "T": ts_pg, "J": PG["json"]}
        exec(compile(source, f"<copy line of {table}>", "exec"), scope)  # noqa: S102  (our own fixed source)
        formatter = _PG_FORMATTERS[table] = scope["line"]
    return formatter


def columns(table: str) -> list[str]:
    return [name for name, _ in TABLES[table]]
