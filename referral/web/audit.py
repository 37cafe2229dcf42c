"""The auditor's pages: the access log with filters, its CSV export, and the chain verifier."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, stream_with_context, url_for

from ..audit import deferred
from ..audit import labels as audit_labels
from ..audit.external import ExternalCheckpointError
from ..audit.verify import ChainBroken
from ..models.base import utcnow
from ..models.vocab import AuditOutcome
from ..policy import Action
from ..policy.core import has_role_for
from ..services import audit_queries
from ..translation import gettext as _
from ..translation import lazy_gettext as _l
from ..translation import ngettext
from .access import guard
from .forms.audit import OUTCOME_LABELS, AuditFilterForm
from .refusals import refused_redirect

bp = Blueprint("audit", __name__, url_prefix="/audit")

CSV_HEADER = (
    "id", "occurred_at_utc", "action", "outcome", "actor_username", "actor_user_id", "actor_agency_code",
    "actor_roles", "session_ref", "object_type", "object_id", "case_number", "fields", "ip_address", "purpose",
    "break_glass_reason", "details", "chain_position", "prev_hash", "hash",
)
#: Flush the CSV to the client every this many characters.
CSV_CHUNK = 64 * 1024

PROBLEMS = {
    "altered": _l("This event was changed after it was written."),
    "broken_link": _l("This event does not follow the one before it: its link to the previous event is wrong."),
    "missing": _l("This event was removed from the log."),
    "inserted": _l("This event was inserted into the log afterwards."),
    "truncated": _l("The most recent events were removed: the log is shorter than its head or a signed "
                    "checkpoint says."),
    "bad_signature": _l("The signature of the checkpoint at this event is not valid."),
    "checkpoint_mismatch": _l("The log was rewritten after this event was signed."),
    "checkpoint_missing": _l("The checkpoint signed at this event, kept outside the database, is gone from it."),
    "external_unreadable": _l("A file of the checkpoint directory outside the database is not a signed checkpoint."),
    "forged": _l("An event waiting to be linked into the chain was not written by Masar: its seal is false. "
                 "It was inserted into the database directly, and is left out of the chain."),
}


@bp.before_request
def require_audit_read():
    guard(Action.AUDIT_READ)


def _filter_form() -> AuditFilterForm:
    return AuditFilterForm(formdata=request.args)


@bp.get("")
def index():
    form = _filter_form()
    page = None
    if form.validate():
        page = audit_queries.events_page(g.user, form.filters(), before=request.args.get("before", type=int))
    args = {k: v for k, v in request.args.items() if k != "before"}
    return render_template("audit/index.html", form=form, page=page, args=args, outcomes=OUTCOME_LABELS,
                           phrases=audit_labels, can_export=has_role_for(g.user, Action.AUDIT_EXPORT),
                           filtered=bool(args))


@bp.get("/export.csv")
def export_csv():
    guard(Action.AUDIT_EXPORT)
    form = _filter_form()
    if not form.validate():
        abort(400)
    rows = audit_queries.start_export(g.user, form.filters())
    filename = f"masar-audit-{utcnow():%Y%m%dT%H%M%SZ}.csv"
    # The export event is committed by the request lifecycle as this response (200) leaves the view;
    # the rows are read afterwards, batch by batch, while the body streams.
    return Response(stream_with_context(_csv_chunks(rows)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _csv_chunks(rows: Iterable) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # spreadsheet programs then read the file as UTF-8 (Arabic names of agencies)
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow(_csv_cells(row))
        if buffer.tell() > CSV_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _csv_cells(row) -> list:
    cells = [
        row.id, row.occurred_at.isoformat(), row.action, row.outcome.value, row.actor_username, row.actor_user_id,
        row.agency_code, row.actor_roles, row.session_ref, row.object_type, row.object_id, row.case_number,
        ";".join(row.fields or []), row.ip_address, row.purpose, row.break_glass_reason,
        json.dumps(row.details or {}, ensure_ascii=False, sort_keys=True), row.chain_position, row.prev_hash,
        row.hash,
    ]
    return [_no_formula(c) for c in cells]


def _no_formula(value):
    # A typed value (a break-glass reason, a username) must not run as a formula in a spreadsheet.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@bp.get("/verify")
def verify():
    status = audit_queries.chain_status(g.user)
    problem = PROBLEMS.get(status.result.problem, status.result.problem) if status.result.problem else None
    return render_template("audit/verify.html", status=status, problem=problem)


def finding_text(finding) -> str:
    """An auditor's sentence for a finding of the verifier (used by the template)."""
    if finding.kind == "no_external_checkpoint":
        return _("No checkpoint signed with the current key is kept outside the database yet.")
    if finding.kind == "app_role_can_rewrite":
        return _("The application's database role may change or delete entries of the access log: the "
                 "deployment does not separate the owner role from the application role.")
    if finding.kind == "unchained":
        return ngettext("%(num)d event has waited %(minutes)s minutes to be linked into the chain: is the "
                        "scheduler running?",
                        "%(num)d events have waited %(minutes)s minutes to be linked into the chain: is the "
                        "scheduler running?", finding.count, minutes=finding.minutes)
    if finding.kind == "signing_gap":
        return _("Events %(first)s to %(last)s waited %(minutes)s minutes for their signature, longer than "
                 "the signing interval allows: events cut off in that time would leave no trace.",
                 first=finding.from_event, last=finding.to_event, minutes=finding.minutes)
    return _("Events from %(first)s on have waited %(minutes)s minutes for a signature, longer than the "
             "signing interval allows: is the signing job running?", first=finding.from_event,
             minutes=finding.minutes)


bp.add_app_template_global(finding_text, "audit_finding_text")


@bp.post("/verify/sign")
def sign():
    try:
        checkpoint = audit_queries.sign_now(g.user)
    except ChainBroken as exc:
        deferred.record_after("audit.sign", outcome=AuditOutcome.FAILURE, object_type="audit_checkpoint",
                              details={"reason": exc.result.problem, "event_id": exc.result.first_invalid_event})
        return refused_redirect(url_for("audit.verify"), _(
            "The log was not signed: it does not verify since its last checkpoint (event %(id)s).",
            id=exc.result.first_invalid_event))
    except ExternalCheckpointError:
        deferred.record_after("audit.sign", outcome=AuditOutcome.FAILURE, object_type="audit_checkpoint",
                              details={"reason": "checkpoint_directory"})
        return refused_redirect(url_for("audit.verify"), _(
            "The log was not signed: the checkpoint directory outside the database cannot be written."))
    if checkpoint is None:
        flash(_("The access log is empty: there is nothing to sign."), "warning")
    else:
        flash(_("The log was signed at event %(id)s.", id=checkpoint.event_id), "success")
    return redirect(url_for("audit.verify"))
