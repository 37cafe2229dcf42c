"""The awareness library: public pages anyone reads without an account (rights, the law, where to
get help by region), and the coordinators' pages that write them."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale

from ..lifecycle import ANONYMOUS_PUBLIC_ENDPOINTS
from ..models.library import LIBRARY_TOPICS
from ..policy import Action
from ..security.headers import served_as_download
from ..services import library
from ..services.directory import public_help
from ..services.errors import InputError, input_error_message
from ..translation import gettext as _
from .access import guard
from .choices import region_choices
from .forms.library import LANGUAGE_LABELS, TOPIC_LABELS, ArticleForm, DocumentForm, ItemVersionForm
from .refusals import REFUSED, form_page, refused_redirect

bp = Blueprint("library", __name__, url_prefix="/library")

#: Endpoints anyone may open: no account, no session, no cookie.
PUBLIC_LIBRARY_ENDPOINTS = frozenset(e for e in ANONYMOUS_PUBLIC_ENDPOINTS if e.startswith("library."))
@bp.after_request
def no_store(response):
    if request.endpoint in PUBLIC_LIBRARY_ENDPOINTS:
        # Reading about violence on a shared phone: nothing stays in the browser's cache.
        response.headers["Cache-Control"] = "no-store"
    return response


def _language() -> str:
    return str(get_locale())


# --- Public pages --------------------------------------------------------------------------------

@bp.get("")
def index():
    topic = request.args.get("topic")
    topic = topic if topic in LIBRARY_TOPICS else None
    items = library.published_items(_language(), topic)
    return render_template("library/index.html", items=items, topic=topic, topics=TOPIC_LABELS)


@bp.get("/help")
def help():  # noqa: A001 (the page's name)
    region_id = request.args.get("region_id", type=int)
    agencies = public_help(region_id) if region_id else []
    return render_template("library/help.html", region_id=region_id, regions=region_choices(_("Choose a region")),
                           agencies=agencies)


@bp.get("/<slug>")
def item(slug):
    found = library.published_item(slug)
    if found is None:
        abort(404)
    body = library.render_markdown(found.body_markdown) if found.kind == "article" else None
    return render_template("library/item.html", item=found, body=body, topics=TOPIC_LABELS)


@bp.get("/<slug>/document")
@served_as_download
def document(slug):
    found = library.published_item(slug)
    if found is None or found.kind != "document":
        abort(404)
    response = send_file(io.BytesIO(found.document), mimetype="application/pdf", as_attachment=True,
                         download_name=found.document_name or "document.pdf", max_age=0)
    return response  # nosniff, as every answer (security/headers.py)


# --- Coordinators ---------------------------------------------------------------------------------

@bp.get("/manage")
def manage():
    guard(Action.LIBRARY_MANAGE)
    return render_template("library/manage.html", items=library.all_items(g.user), topics=TOPIC_LABELS,
                           languages=LANGUAGE_LABELS, action_form=ItemVersionForm())


@bp.route("/manage/new/<kind>", methods=["GET", "POST"])
def new_item(kind):
    guard(Action.LIBRARY_MANAGE)
    if kind not in ("article", "document"):
        abort(404)
    return _edit(None, kind)


@bp.route("/manage/<int:item_id>", methods=["GET", "POST"])
def edit_item(item_id):
    guard(Action.LIBRARY_MANAGE)
    found = library.get_item(g.user, item_id)
    if found is None:
        abort(404)
    return _edit(found, found.kind)


def _edit(found, kind: str):
    form_class = ArticleForm if kind == "article" else DocumentForm
    form = form_class(obj=found) if request.method == "GET" and found else form_class()
    if request.method == "GET":
        form.language.data = found.language if found else _language()
    stale = False
    if form.validate_on_submit():
        upload = form.document.data if kind == "document" else None
        values = {name: getattr(form, name).data for name in ("slug", "language", "topic", "title", "summary")}
        if kind == "article":
            values["body_markdown"] = form.body_markdown.data
        try:
            saved = library.save_item(g.user, found, values, kind=kind, expected_version=_version(form.version.data),
                                      document=upload.read() if upload else None,
                                      document_name=upload.filename if upload else None)
        except InputError as exc:
            field = getattr(form, exc.field, form.title)
            field.errors = list(field.errors) + [input_error_message(exc.code)]
        except library.StaleLibraryItem:
            stale = True
        else:
            flash(_("Saved. It is public only once published."), "success")
            return redirect(url_for("library.edit_item", item_id=saved.id))
    if found is not None:
        # After a refused stale edit her text stays on the page, now against the current version:
        # she checks what changed, then saves again (or leaves).
        form.version.data = found.version
    return form_page("library/form.html", 409 if stale else REFUSED, form=form, item=found, kind=kind, stale=stale,
                     preview=library.render_markdown(form.body_markdown.data) if kind == "article"
                     and form.body_markdown.data else None)


def _version(raw) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


@bp.post("/manage/<int:item_id>/<any(publish, unpublish, delete):change>")
def change_item(item_id, change):
    guard(Action.LIBRARY_MANAGE)
    found = library.get_item(g.user, item_id)
    if found is None:
        abort(404)
    form = ItemVersionForm()
    if not form.validate_on_submit():
        return refused_redirect(url_for("library.manage"), _("The request could not be completed."))
    try:
        if change == "delete":
            library.delete_item(g.user, found, form.version.data)
            flash(_("Deleted."), "success")
        else:
            library.set_published(g.user, found, change == "publish", form.version.data)
            flash(_("Published: anyone can read it now.") if change == "publish"
                  else _("Unpublished: it is no longer public."), "success")
    except library.StaleLibraryItem:
        return refused_redirect(url_for("library.manage"), input_error_message("stale_library"))
    except InputError as exc:
        return refused_redirect(url_for("library.manage"), input_error_message(exc.code))
    return redirect(url_for("library.manage"))

