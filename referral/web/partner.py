"""The pages a partner outside Masar opens with the link printed on its referral letter: no account,
no session, no cookie. The link is the only credential; what it shows and every action taken
through it are logged under the partner agency's name."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for

from ..audit.context import Actor, set_actor
from ..extensions import csrf, limiter
from ..models.vocab import DeclineReason
from ..security.proxies import client_ip
from ..security.public_forms import form_token, same_origin, valid_form_token
from ..services import partner_links
from ..services.errors import InputError, input_error_message
from ..translation import gettext as _
from ..workflows.errors import InvalidTransition, WorkflowError
from .refusals import REFUSED

bp = Blueprint("partner", __name__, url_prefix="/partner")
csrf.exempt(bp)  # no session to hold a token: a signed hidden field bound to the link, and an origin check

#: A message or an outcome is a few paragraphs.
MAX_BODY = 32 * 1024


@bp.before_request
def limit_body():
    request.max_content_length = MAX_BODY
    if request.method == "POST" and not same_origin():
        abort(403)


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _link(secret: str):
    link = partner_links.find_link(secret)
    if link is None:
        abort(404)  # unknown, revoked, expired, or her consent or the referral ended: nothing to tell apart
    agency = link.referral.to_agency
    set_actor(Actor(username=f"partner:{agency.code}", agency_id=agency.id, channel="partner",
                    ip_address=client_ip(), extra={"partner_link": link.id}))
    return link


def _purpose(link) -> str:
    return f"partner:{link.id}"


@bp.get("/<secret>")
@limiter.limit("60/hour")
def show(secret):
    link = _link(secret)
    return _page(link, secret)


def _page(link, secret, status: int = 200, error: str | None = None, typed: dict | None = None):
    view = partner_links.partner_view(link)
    return render_template("partner/show.html", view=view, secret=secret, token=form_token(_purpose(link)),
                           reasons=[r.value for r in DeclineReason], error=error, typed=typed or {},
                           done=request.args.get("done")), status


@bp.post("/<secret>/<any(acknowledge, accept, decline, complete):action>")
@limiter.limit("30/hour")
def act(secret, action):
    link = _link(secret)
    typed = {"reason": request.form.get("reason") or None, "message": request.form.get("message") or ""}
    if not valid_form_token(request.form.get("form_token"), _purpose(link)):
        return _page(link, secret, REFUSED, _("This page expired. Nothing was saved: try again."), typed)
    if action not in partner_links.actions_open(link):
        return _page(link, secret, 409, _("This was already done, or is no longer possible."), typed)
    try:
        partner_links.act(link, action, reason=typed["reason"], message=typed["message"])
    except (InputError, WorkflowError) as exc:
        return _page(link, secret, 409 if isinstance(exc, InvalidTransition) else REFUSED,
                     input_error_message(exc.code), typed)
    # No flash message: it would need a session cookie. The address says what was done.
    return redirect(url_for("partner.show", secret=secret, lang=request.form.get("lang"), done=action))
