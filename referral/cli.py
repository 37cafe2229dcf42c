"""Command-line operations: demo data, bootstrap, key rotation, crypto-shredding, audit checks."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from .audit.context import Actor, acting_as
from .extensions import db

CLI_ACTOR = Actor(username="cli", channel="cli")

audit_cli = AppGroup("audit", help="Verify and sign the access log.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(demo_command)
    app.cli.add_command(bootstrap_command)
    app.cli.add_command(designate_lead_command)
    app.cli.add_command(rotate_keys_command)
    app.cli.add_command(shred_case_command)
    app.cli.add_command(audit_cli)
    app.cli.add_command(directory_cli)
    from .backup import register as register_backup

    register_backup(app)


@click.command("demo", help="Seed demo agencies, accounts and about 200 fictional files (never in production).")
@click.option("--files", default=200, show_default=True, help="How many survivor files to create.")
@click.option("--if-empty", is_flag=True, help="Do nothing if the database already has agencies.")
@click.option("--seed", default=2026, show_default=True, help="Random seed, for repeatable demo data.")
def demo_command(files: int, if_empty: bool, seed: int) -> None:
    from .demo import DemoRefused, seed_demo

    try:
        with acting_as(CLI_ACTOR):
            summary = seed_demo(files=files, if_empty=if_empty, seed=seed)
    except DemoRefused as exc:
        click.echo(f"demo: {exc}", err=True)
        sys.exit(2)
    click.echo(summary)


@click.command("bootstrap", help="Create the network agency and a first administrator account.")
@click.option("--username", required=True)
@click.option("--display-name", default="Administrator")
@click.option("--email", default=None)
def bootstrap_command(username: str, display_name: str, email: str | None) -> None:
    from .services.admin import bootstrap_admin

    with acting_as(CLI_ACTOR):
        user, password = bootstrap_admin(username=username, display_name=display_name, email=email)
        db.session.commit()
    click.echo(f"Administrator {user.username!r} created. One-time password (change it at first login):")
    click.echo(password)


@click.command("designate-lead", help="Make an account a lead of its agency (its first lead: later ones are "
                                        "approved by a lead in the app). Opens her account if it waits.")
@click.argument("username")
def designate_lead_command(username: str) -> None:
    from .models import User
    from .services.account_approvals import designate_first_lead
    from .services.admin import AccountError

    with acting_as(CLI_ACTOR):
        user = db.session.execute(select(User).where(User.username == username.strip().casefold())).scalar_one_or_none()
        if user is None:
            click.echo(f"designate-lead: no account {username!r}.", err=True)
            sys.exit(2)
        try:
            password = designate_first_lead(user)
        except AccountError as exc:
            db.session.rollback()
            click.echo(f"designate-lead: refused ({exc.code}): a lead is a caseworker or officer of an "
                       "association or a public service.", err=True)
            sys.exit(2)
        db.session.commit()
    click.echo(f"{user.username!r} is now a lead of {user.agency.code}.")
    if password is not None:
        click.echo("Her account is open. One-time password (give it to her in person; she changes it at first login):")
        click.echo(password)


@click.command("rotate-keys", help="Re-wrap every data key and second-factor seed under the active master key.")
@click.option("--batch", default=500, show_default=True, help="Data keys re-wrapped per transaction.")
def rotate_keys_command(batch: int) -> None:
    from .audit.log import record
    from .models import CaseKey
    from .security import case_crypto
    from .security.crypto import CryptoError
    from .security.keys import app_keys

    active = app_keys().master.active_key_id
    total = db.session.execute(select(func.count()).select_from(CaseKey)).scalar_one()
    todo = db.session.execute(
        select(func.count()).select_from(CaseKey).where(CaseKey.master_key_id != active)
    ).scalar_one()
    click.echo(f"{total} data keys, {todo} to re-wrap under master key {active!r}.")
    done = 0
    with acting_as(CLI_ACTOR):
        try:
            while True:
                # Each batch commits on its own: an interrupted run loses nothing and resumes here.
                rows = db.session.execute(
                    select(CaseKey).where(CaseKey.master_key_id != active).limit(batch).with_for_update()
                ).scalars().all()
                if not rows:
                    break
                for row in rows:
                    case_crypto.rewrap(row)
                done += len(rows)
                db.session.commit()
                click.echo(f"  re-wrapped {done}/{todo}")
            # Second-factor seeds are wrapped by the master keys too: without this, removing the old
            # key from the configuration would lock every member of staff out.
            seeds = _rewrap_totp_secrets(active)
        except CryptoError as exc:
            db.session.rollback()
            click.echo(f"rotate-keys: {exc}. {done} data keys were re-wrapped before this; run again "
                       "once the configuration is fixed.", err=True)
            sys.exit(1)
        record("keys.rotate", details={"active_key_id": active, "rewrapped": done, "totp_rewrapped": seeds})
        db.session.commit()
    click.echo(f"Done: {done} re-wrapped, and {seeds} second-factor secrets; every key is now under {active!r}.")


def _rewrap_totp_secrets(active: str) -> int:
    from .models import User
    from .security.crypto import WrappedKey
    from .security.keys import app_keys
    from .services.accounts import totp_aad

    ring = app_keys().master
    users = db.session.execute(
        select(User).where(User.totp_secret_ct.is_not(None), User.totp_key_id != active).with_for_update()
    ).scalars().all()
    for user in users:
        aad = totp_aad(user)
        wrapped = ring.wrap_value(ring.decrypt(WrappedKey(user.totp_key_id, user.totp_secret_ct), aad), aad)
        user.totp_secret_ct, user.totp_key_id = wrapped.blob, wrapped.key_id
    db.session.commit()
    return len(users)


@click.command("shred-case", help="Erase a file's identity for good by destroying its data key.")
@click.argument("case_number")
@click.option("--yes", is_flag=True, help="Confirm: this cannot be undone.")
def shred_case_command(case_number: str, yes: bool) -> None:
    from .services.erasure import ShredError, purge_database_files, shred_case

    if not yes:
        click.echo("Refusing without --yes: crypto-shredding cannot be undone.", err=True)
        sys.exit(2)
    with acting_as(CLI_ACTOR):
        try:
            shred_case(case_number)
        except ShredError as exc:
            db.session.rollback()
            click.echo(f"shred-case: {exc}.", err=True)
            sys.exit(2)
        db.session.commit()
    db.session.close()  # so that its own connection does not hold back the checkpoint
    click.echo(f"{case_number}: data key destroyed; identity unreadable, statistics kept.")
    if not purge_database_files():
        click.echo("shred-case: the database is busy; old pages may stay in the write-ahead log until "
                   "the next checkpoint. Run `shred-case` again later or stop the app for a moment.", err=True)


@audit_cli.command("verify", help="Check every hash and link of the access log, its signatures and the "
                                   "checkpoints kept outside the database.")
def audit_verify() -> None:
    from .audit.verify import verify_chain

    result = verify_chain()
    if not result.valid:
        where = (f"event {result.first_invalid_event}" if result.first_invalid_event is not None
                 else f"the event with id {result.invalid_event_id}")
        click.echo(f"Access log BROKEN at {where} ({result.problem}); "
                   f"{result.checked} events checked before it.", err=True)
        sys.exit(1)
    click.echo(f"Access log intact: {result.checked} events checked, "
               f"{result.checkpoints} signed checkpoints verified, "
               f"{result.external_checkpoints} of them also outside the database.")
    for finding in result.findings:
        # Links alone do not stop someone who rewrites the whole log or cuts its unsigned tail:
        # only a signature kept outside the database does.
        click.echo(f"Warning: {_finding_text(finding)}", err=True)


def _finding_text(finding) -> str:
    if finding.kind == "no_external_checkpoint":
        return ("no checkpoint signed with the current key outside the database "
                "(MASAR_AUDIT_CHECKPOINT_DIR); run 'flask audit sign'.")
    if finding.kind == "app_role_can_rewrite":
        return ("the app's database role may UPDATE, DELETE or TRUNCATE the audit tables: run the app as a "
                "role that does not own them (README, 'The two database roles').")
    if finding.kind == "unchained":
        return (f"{finding.count} events have waited {finding.minutes} minutes to be linked into the chain: "
                f"is 'flask scheduler' running (job audit_chain)?")
    if finding.kind == "signing_gap":
        return (f"events {finding.from_event} to {finding.to_event} waited {finding.minutes} minutes for "
                f"their signature, longer than the signing interval allows.")
    return (f"events from {finding.from_event} on have been unsigned for {finding.minutes} minutes, longer "
            f"than the signing interval allows: is 'audit sign' running?")


@audit_cli.command("sign", help="Verify the log since its last checkpoint, then sign the chain head with the "
                                 "Ed25519 key, in the database and in the checkpoint directory.")
def audit_sign() -> None:
    from .audit.external import ExternalCheckpointError
    from .audit.verify import ChainBroken, sign_head

    with acting_as(CLI_ACTOR):
        try:
            checkpoint = sign_head()
        except (ChainBroken, ExternalCheckpointError) as exc:
            db.session.rollback()
            click.echo(f"audit sign refused: {exc}; nothing was signed.", err=True)
            sys.exit(1)
        if checkpoint is not None:
            from .audit.log import record

            record("audit.sign", object_type="audit_checkpoint", details={"event_id": checkpoint.event_id})
        db.session.commit()
    if checkpoint is None:
        click.echo("The access log is empty: nothing to sign.")
    else:
        click.echo(f"Signed event {checkpoint.event_id} with key {checkpoint.key_fingerprint[:16]}.")


directory_cli = AppGroup("directory", help="The service directory in Open Referral HSDS 3.0.")


@directory_cli.command("export-hsds", help="Write the directory as HSDS 3.0 JSON (addresses for staff, never a "
                                           "shelter's), validated against the HSDS schemas.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="File to write (default: standard output).")
def export_hsds_command(output: str | None) -> None:
    import json

    from .services import hsds

    document = hsds.export_directory(staff=True)
    errors = hsds.validate(document)
    if errors:
        raise click.ClickException("the export does not validate: " + "; ".join(errors[:5]))
    text = json.dumps(document, ensure_ascii=False, indent=1)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"{document['total_items']} services written to {output}")
    else:
        click.echo(text)


@directory_cli.command("import-hsds", help="Create or update agencies and services from an HSDS 3.0 JSON file, as "
                                           "a coordinator or administrator; --dry-run reports and changes nothing.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--as", "username", required=True, help="The account the changes are made and logged as.")
@click.option("--dry-run", is_flag=True, help="Report what would change, change nothing.")
def import_hsds_command(path: str, username: str, dry_run: bool) -> None:
    import json

    from .models import User
    from .policy.core import PolicyError
    from .services import hsds

    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active:
        raise click.ClickException(f"no active account {username}")
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise click.ClickException(f"not a JSON file: {exc}") from None
    actor = Actor(user_id=user.id, username=user.username, agency_id=user.agency_id,
                  roles=tuple(sorted(r.value for r in user.roles)), channel="cli")
    with acting_as(actor):
        try:
            report = hsds.import_directory(user, document, dry_run=dry_run)
        except hsds.HsdsInvalid as exc:
            db.session.rollback()
            raise click.ClickException("nothing imported:\n" + "\n".join(exc.errors[:50])) from None
        except PolicyError:
            db.session.rollback()
            raise click.ClickException(f"{username} may not manage the directory") from None
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    for label in report.created:
        click.echo(f"new      {label}")
    for label, fields in report.updated.items():
        click.echo(f"changed  {label}: {', '.join(fields)}")
    click.echo(f"{'would create' if dry_run else 'created'} {len(report.created)}, "
               f"{'would change' if dry_run else 'changed'} {len(report.updated)}, unchanged {len(report.unchanged)}")
