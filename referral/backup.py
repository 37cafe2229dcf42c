"""`flask backup` and `flask restore`: the database and the keys, saved apart, restored whole.

Commands rather than shell scripts because they read the same configuration as the app: the keys
saved are exactly the ones the app uses, and a restore ends with the app's own start-up self-check
(referral/selfcheck.py) against the restored database and the configured keys.

- The database goes to one place (PostgreSQL: `pg_dump --format=custom`; SQLite: the online backup
  API, consistent while the app runs), the keys to another (an env file, mode 0600): the dump holds
  only wrapped data keys, which are useless without the master keys, and the master keys never
  travel with it. Keep the two on different media, with different people.
- A restore goes into an empty database with the app and the scheduler stopped: it refuses while any
  other session is connected to the target (PostgreSQL) or a scheduler holds a live lease (SQLite),
  and it runs in one transaction (`pg_restore --single-transaction --exit-on-error`), so a failure
  leaves an empty database rather than one without its indexes, constraints or triggers.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import text
from sqlalchemy.engine import make_url

from .extensions import db

#: The settings a restored system needs besides its database, saved to the keys file.
KEY_SETTINGS = (("MASTER_KEYS", "MASAR_MASTER_KEYS"), ("ACTIVE_MASTER_KEY_ID", "MASAR_ACTIVE_MASTER_KEY"),
                ("BLIND_INDEX_KEY", "MASAR_BLIND_INDEX_KEY"), ("BLIND_INDEX_BITS", "MASAR_BLIND_INDEX_BITS"),
                ("AUDIT_SIGNING_KEY", "MASAR_AUDIT_SIGNING_KEY"), ("AUDIT_CHAIN_KEY", "MASAR_AUDIT_CHAIN_KEY"))


class RestoreRefused(click.ClickException):
    pass


def _libpq_url() -> tuple[str, str]:
    """(dialect, URL or file path) of the configured database, for pg_dump / sqlite3."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        return "sqlite", url.database
    return "postgresql", url.set(drivername="postgresql").render_as_string(hide_password=False)


def structure_counts(conn) -> dict[str, int]:
    """Indexes, constraints and triggers of the database: what a complete restore must match."""
    if conn.dialect.name == "postgresql":
        queries = {
            "indexes": "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema()",
            "constraints": "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                           "WHERE n.nspname = current_schema()",
            "triggers": "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal",
            "tables": "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
        }
    else:
        queries = {kind: f"SELECT count(*) FROM sqlite_master WHERE type = '{kind}'"  # noqa: S608  (fixed names)
                   for kind in ("index", "trigger", "table")}
        queries = {"indexes": queries["index"], "triggers": queries["trigger"], "tables": queries["table"]}
    return {kind: conn.execute(text(sql)).scalar_one() for kind, sql in queries.items()}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_keys(folder: Path, stamp: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"masar-keys-{stamp}.env"
    lines = [f"{env}={current_app.config[key]}" for key, env in KEY_SETTINGS if current_app.config.get(key) is not None]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as stream:
        stream.write("# Masar keys: restore them into the environment of the app and the scheduler.\n")
        stream.write("\n".join(lines) + "\n")
    return path


def backup_database(folder: Path, stamp: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    dialect, target = _libpq_url()
    if dialect == "sqlite":
        path = folder / f"masar-{stamp}.sqlite"
        source, copy = sqlite3.connect(target), sqlite3.connect(path)
        try:
            source.backup(copy)  # consistent while the app writes
        finally:
            copy.close()
            source.close()
        return path
    path = folder / f"masar-{stamp}.dump"
    subprocess.run([_tool("pg_dump"), "--format=custom", "--file", str(path), target],  # noqa: S603
                   check=True, capture_output=True, text=True)
    return path


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise click.ClickException(f"{name} is not installed (Debian: postgresql-client)")
    return found


def refuse_if_in_use() -> None:
    """The target must be idle: no other session (PostgreSQL), no live scheduler lease (SQLite)."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            others = conn.execute(text(
                "SELECT usename, application_name, count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1, 2")).all()
            if others:
                listed = ", ".join(f"{n} x {u or '?'} ({a or 'no name'})" for u, a, n in others)
                raise RestoreRefused(f"refusing to restore: other sessions are connected to the database ({listed}); "
                                     "stop the app and the scheduler first")
            tables = conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")).scalar()
        else:
            tables = conn.execute(text("SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                                       "AND name NOT LIKE 'sqlite_%'")).scalar()
            if tables and "job_locks" in {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master"))}:
                _refuse_live_lease(conn)
        if tables:
            raise RestoreRefused(f"refusing to restore: the target database already has {tables} tables; restore into "
                                 "an empty database (README, 'Backup and restore')")


def _refuse_live_lease(conn) -> None:
    from .jobs.locks import LEASE

    since = datetime.now(UTC) - LEASE
    held = conn.execute(text("SELECT name, holder, last_started_at FROM job_locks WHERE holder IS NOT NULL")).all()
    live = [name for name, _holder, started in held
            if started and datetime.fromisoformat(str(started)).replace(tzinfo=UTC) > since]
    if live:
        raise RestoreRefused(f"refusing to restore: a scheduler holds a live lease on {', '.join(live)}; stop it first")


def restore_database(dump: Path) -> None:
    dialect, target = _libpq_url()
    if dialect == "sqlite":
        source, copy = sqlite3.connect(f"file:{dump}?mode=ro", uri=True), sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return
    done = subprocess.run([_tool("pg_restore"), "--single-transaction", "--exit-on-error", "--no-owner",  # noqa: S603
                           "--dbname", target, str(dump)], capture_output=True, text=True, check=False)
    if done.returncode:
        raise click.ClickException(f"pg_restore failed, nothing was restored (one transaction): {done.stderr[-2000:]}")


@click.command("backup", help="Save the database to --to and the keys, separately, to --keys-to.")
@click.option("--to", "to", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--keys-to", required=True, type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(to: Path, keys_to: Path) -> None:
    if to.resolve() == keys_to.resolve():
        raise click.UsageError("--to and --keys-to must be different places: the keys never travel with the dump")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    dump = backup_database(to, stamp)
    with db.engine.connect() as conn:
        counts = structure_counts(conn)
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    manifest = to / f"{dump.name}.json"
    manifest.write_text(json.dumps({"file": dump.name, "sha256": _sha256(dump), "revision": revision,
                                    "taken_at": stamp, **counts}, indent=1) + "\n")
    keys = write_keys(keys_to, stamp)
    click.echo(f"Database saved to {dump} (manifest {manifest.name}: {counts}).")
    click.echo(f"Keys saved to {keys} (mode 0600): keep it apart from the dump.")


@click.command("restore", help="Restore a `flask backup` dump into the configured, empty database, with the app and "
                               "scheduler stopped; then check it against the manifest and the configured keys.")
@click.argument("dump", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(dump: Path) -> None:
    from .selfcheck import run_checks

    manifest_path = dump.with_name(dump.name + ".json")
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
    if manifest and manifest["sha256"] != _sha256(dump):
        raise click.ClickException(f"{dump} does not match its manifest's checksum: damaged or replaced")
    refuse_if_in_use()
    restore_database(dump)
    db.engine.dispose()
    with db.engine.connect() as conn:
        counts = structure_counts(conn)
    problems = [f"{kind}: {counts.get(kind)} restored, {manifest[kind]} saved"
                for kind in ("tables", "indexes", "constraints", "triggers")
                if manifest and kind in manifest and counts.get(kind) != manifest[kind]]
    problems += [f"{finding.reason}: {finding.detail}" for finding in run_checks()]
    if problems:
        raise click.ClickException("restored, but not sound: " + "; ".join(problems))
    click.echo(f"Restored {dump.name}: {counts}; schema at head, protections present, the keys unwrap the data keys. "
               "Now run `flask audit verify`, then start the app and the scheduler.")


def register(app) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
