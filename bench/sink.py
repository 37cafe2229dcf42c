"""Writing generated chunks: PostgreSQL COPY, or SQLite executemany for small runs.

For large PostgreSQL loads the secondary indexes of the bulk tables are dropped first and rebuilt
at the end (one sort per index instead of millions of random inserts), and foreign-key triggers
are skipped for the loading session (`session_replication_role = replica`, superuser only): the
generator writes every parent before its children, and the smoke test checks the app reads the
result. Primary keys and unique constraints stay in place throughout.
"""

from __future__ import annotations

import io
import time

from sqlalchemy import text

from .encode import SERIAL_TABLES, TABLES, columns

_SECONDARY_INDEXES = """
SELECT c.relname, ic.relname, pg_get_indexdef(i.indexrelid)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE c.relname = ANY(%s) AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
ORDER BY c.relname, ic.relname
"""


class PostgresSink:
    def __init__(self, engine, *, defer_indexes: bool):
        self.engine = engine
        self.defer_indexes = defer_indexes
        self.raw = engine.raw_connection()
        self.dropped: list[tuple[str, str, str]] = []
        self.triggers_skipped = False
        cur = self.raw.cursor()
        cur.execute("SET synchronous_commit = off")
        try:
            cur.execute("SET session_replication_role = replica")
            self.triggers_skipped = True
        except Exception:  # noqa: BLE001  (not a superuser: keep the foreign-key checks)
            self.raw.rollback()
            cur = self.raw.cursor()
            cur.execute("SET synchronous_commit = off")
        self.raw.commit()

    def before(self) -> None:
        if not self.defer_indexes:
            return
        cur = self.raw.cursor()
        cur.execute(_SECONDARY_INDEXES, (list(TABLES),))
        self.dropped = cur.fetchall()
        for _table, name, _ddl in self.dropped:
            cur.execute(f'DROP INDEX "{name}"')
        self.raw.commit()

    def write(self, tables: dict) -> None:
        cur = self.raw.cursor()
        for table in TABLES:
            payload = tables.get(table)
            if payload:
                names = ", ".join(f'"{c}"' for c in columns(table))
                cur.copy_expert(f"COPY {table} ({names}) FROM STDIN", io.StringIO(payload))
        self.raw.commit()

    def after(self, *, vacuum: bool) -> dict:
        timings = {}
        cur = self.raw.cursor()
        if self.triggers_skipped:
            cur.execute("SET session_replication_role = DEFAULT")
        for table in SERIAL_TABLES:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)")
        self.raw.commit()
        started = time.monotonic()
        if self.dropped:
            cur.execute("SET maintenance_work_mem = '512MB'")
            for _table, _name, ddl in self.dropped:
                cur.execute(ddl)
                self.raw.commit()
        timings["index_seconds"] = round(time.monotonic() - started, 1)
        started = time.monotonic()
        self.raw.commit()
        driver = self.raw.driver_connection
        driver.autocommit = True
        cur = driver.cursor()
        for table in TABLES:
            cur.execute(f"VACUUM (ANALYZE) {table}" if vacuum else f"ANALYZE {table}")
        driver.autocommit = False
        timings["vacuum_seconds" if vacuum else "analyze_seconds"] = round(time.monotonic() - started, 1)
        return timings

    def close(self) -> None:
        self.raw.close()


class SqliteSink:
    def __init__(self, engine):
        self.engine = engine
        self.raw = engine.raw_connection()

    def before(self) -> None:
        pass

    def write(self, tables: dict) -> None:
        cur = self.raw.cursor()
        # A declined referral points at the later one that replaced it: check keys at commit.
        cur.execute("PRAGMA defer_foreign_keys = ON")
        for table in TABLES:
            rows = tables.get(table)
            if rows:
                names = ", ".join(f'"{c}"' for c in columns(table))
                marks = ", ".join("?" for _ in TABLES[table])
                cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        self.raw.commit()

    def after(self, *, vacuum: bool) -> dict:
        started = time.monotonic()
        with self.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        return {"analyze_seconds": round(time.monotonic() - started, 1)}

    def close(self) -> None:
        self.raw.close()


def make_sink(engine, *, defer_indexes: bool):
    if engine.dialect.name == "postgresql":
        return PostgresSink(engine, defer_indexes=defer_indexes)
    if engine.dialect.name == "sqlite":
        return SqliteSink(engine)
    raise ValueError(f"unsupported database: {engine.dialect.name}")
