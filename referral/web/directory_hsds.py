"""The directory in Open Referral HSDS 3.0, for its managers: download it, and import a file with a
report of what would change before anything does (services/hsds.py)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, g, render_template, request

from ..audit.log import record
from ..lifecycle import refuse
from ..policy import Action
from ..services import hsds
from ..translation import gettext as _
from .access import guard
from .forms.directory import HsdsImportForm
from .refusals import form_page

bp = Blueprint("hsds", __name__, url_prefix="/directory/hsds")


@bp.get("")
def index():
    guard(Action.DIRECTORY_MANAGE)
    return render_template("directory/hsds.html", form=HsdsImportForm(), report=None, errors=None, dry_run=None)


@bp.get("/export.json")
def export():
    guard(Action.DIRECTORY_MANAGE)
    document = hsds.export_directory(staff=True)
    record("directory.hsds_export", object_type="directory", details={"services": document["total_items"]})
    response = Response(json.dumps(document, ensure_ascii=False, indent=1), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="masar-directory-hsds3.json"'
    return response


@bp.post("/import")
def import_file():
    guard(Action.DIRECTORY_MANAGE)
    form = HsdsImportForm()
    dry_run = request.form.get("apply") != "1"
    if not form.validate_on_submit():
        return form_page("directory/hsds.html", form=form, report=None, errors=None, dry_run=dry_run)
    try:
        document = json.loads(form.document.data.read().decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        form.document.errors = [_("This is not a JSON file.")]
        return form_page("directory/hsds.html", form=form, report=None, errors=None, dry_run=dry_run)
    try:
        report = hsds.import_directory(g.user, document, dry_run=dry_run)
    except hsds.HsdsInvalid as exc:
        return form_page("directory/hsds.html", form=form, report=None, errors=exc.errors[:200], dry_run=dry_run)
    if dry_run:
        refuse()  # what the import would do is reported; nothing of it is kept
    else:
        record("directory.hsds_import", object_type="directory",
               details={"created": len(report.created), "updated": len(report.updated)})
    return render_template("directory/hsds.html", form=HsdsImportForm(formdata=None), report=report, errors=None,
                           dry_run=dry_run)
