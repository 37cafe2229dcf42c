"""The auditor's pages: the access log with filters, its CSV export, and the chain verifier."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..models.base import utcnow
from ..policy import Action
from ..policy.core import has_role_for
from ..services import audit_queries
from .access import guard
from .forms.audit import ACTION_PREFIXES, OUTCOME_LABELS, AuditFilterForm

bp = Blueprint("audit", __name__, url_prefix="/audit")

CSV_HEADER = (
    "id", "occurred_at_utc", "action", "outcome", "actor_username", "actor_user_id", "actor_agency_code",
    "actor_roles", "session_ref", "object_type", "object_id", "case_number", "fields", "ip_address", "purpose",
    "break_glass_reason", "details", "prev_hash", "hash",
)
#: Flush the CSV to the client every this many characters.
CSV_CHUNK = 64 * 1024

PROBLEMS = {
    "altered": _l("This event was changed after it was written."),
    "broken_link": _l("This event does not follow the one before it: its link to the previous event is wrong."),
    "missing": _l("This event was removed from the log."),
    "inserted": _l("This event was inserted into the log afterwards."),
    "truncated": _l("The most recent events were removed: the log is shorter than its head says."),
    "bad_signature": _l("The signature of the checkpoint at this event is not valid."),
    "checkpoint_mismatch": _l("The log was rewritten after this event was signed."),
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
                           action_prefixes=ACTION_PREFIXES, can_export=has_role_for(g.user, Action.AUDIT_EXPORT),
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
        json.dumps(row.details or {}, ensure_ascii=False, sort_keys=True), row.prev_hash, row.hash,
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


@bp.post("/verify/sign")
def sign():
    checkpoint = audit_queries.sign_now(g.user)
    if checkpoint is None:
        flash(_("The access log is empty: there is nothing to sign."), "warning")
    else:
        flash(_("The log was signed at event %(id)s.", id=checkpoint.event_id), "success")
    return redirect(url_for("audit.verify"))
