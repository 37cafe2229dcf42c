"""Referrals: refer a file, list the inbox or outbox, read one, fire a workflow transition."""

from __future__ import annotations

from flask import g, url_for

from ..models import Referral
from ..policy import Action
from ..services import referrals as referrals_service
from ..services.directory import get_service
from .access import etag, expected_version, guard, load_case, load_referral
from .base import ETAG_HEADER, ApiBlueprint
from .schemas.common import IfMatchSchema, agency_ref
from .schemas.referrals import (
    BoxArgsSchema,
    ReferralCreateSchema,
    ReferralDetailSchema,
    ReferralPageSchema,
    ReferralSummarySchema,
    TransitionSchema,
)

bp = ApiBlueprint("referrals", __name__, url_prefix="/v1", tag="referrals",
                  description="Referrals between agencies and their workflow (send, acknowledge, accept, ...).")

SUMMARY_FIELDS = ("id", "reference", "case_id", "status", "urgency", "need", "service_id", "is_open", "version",
                  "created_at", "updated_at", "sent_at", "next_due_at", "decline_reason")


def summary(referral: Referral) -> dict:
    values = {name: getattr(referral, name) for name in SUMMARY_FIELDS}
    values["from_agency"] = agency_ref(referral.from_agency)
    values["to_agency"] = agency_ref(referral.to_agency)
    return values


@bp.route("/referrals", methods=["GET"])
@bp.arguments(BoxArgsSchema, location="query")
@bp.response(200, ReferralPageSchema)
@bp.problems(401, 403)
def list_referrals(args):
    """The inbox (referrals to the caller's agency) or outbox (sent by it), a page at a time"""
    box = args["box"]
    guard(Action.REFERRAL_RECEIVE if box == "inbox" else Action.REFERRAL_SEND)
    state = args["state"] if args["state"] in referrals_service.BOX_STATES[box] else "closed"
    page = referrals_service.box_page(g.user, box, state, args["page"])
    return {"items": [summary(r) for r in page.items], "page": page.number, "page_size": page.size,
            "next_page": page.next_number}


@bp.route("/cases/<uuid:case_id>/referrals", methods=["POST"])
@bp.arguments(ReferralCreateSchema)
@bp.response(201, ReferralSummarySchema, headers=ETAG_HEADER)
@bp.problems(401, 403, 404)
def refer(data, case_id):
    """Refer the survivor to a service: the referral is sent at once, within her consent"""
    case, _access = load_case(case_id, Action.CASE_REFER)
    service = get_service(data["service_id"])
    referral = referrals_service.create_referral(g.user, case, service=service, urgency=data["urgency"],
                               shared_fields=data["shared_fields"], message=data["message"],
                               assault_at=data["assault_at"])
    return summary(referral), 201, {"ETag": etag(referral.version),
                                    "Location": url_for("api.referrals.get_referral", referral_id=referral.id)}


@bp.route("/referrals/<uuid:referral_id>", methods=["GET"])
@bp.response(200, ReferralDetailSchema, headers=ETAG_HEADER)
@bp.problems(401, 403, 404)
def get_referral(referral_id):
    """Read a referral: both sides see the message, history and the survivor fields it shares
    (cut by consent in force); a coordinator sees metadata only"""
    referral, decision = load_referral(referral_id, Action.REFERRAL_READ)
    shown = referrals_service.referral_page(g.user, referral, decision)
    view = shown.view
    body = summary(referral) | {
        "relation": shown.side,
        "actions": shown.actions,
        "shared_fields": list(referral.shared_fields or []),
        "assault_at": referral.assault_at, "acknowledged_at": referral.acknowledged_at,
        "decided_at": referral.decided_at, "first_action_at": referral.first_action_at,
        "completed_at": referral.completed_at,
        "identity": view["identity"], "message": view["message"], "outcome": view["outcome"],
        "access_ended": view["access"].ended if view["access"] else None,
        "access_until": view["access"].until if view["access"] else None,
        "history": [{"action": e.action, "from_status": e.from_status, "to_status": e.to_status,
                     "occurred_at": e.occurred_at, "actor_agency_id": e.actor_agency_id, "reason": e.reason_code,
                     "comment": view["comments"].get(e.id)} for e in shown.history],
        "timers": shown.timers,
    }
    return body, 200, {"ETag": etag(referral.version)}


@bp.route("/referrals/<uuid:referral_id>/transitions", methods=["POST"])
@bp.arguments(IfMatchSchema, location="headers")
@bp.arguments(TransitionSchema)
@bp.response(200, ReferralSummarySchema, headers=ETAG_HEADER)
@bp.problems(401, 403, 404, 409, 412)
def transition(headers, data, referral_id):
    """Fire a workflow action (acknowledge, accept, decline, start, complete, return, withdraw,
    info_request, info_provided)

    Send the ETag you read in If-Match: if the referral changed since, the answer is 412 and nothing
    changes. Without it, two people acting at once cannot both win: the second gets 409.
    """
    referral, _decision = load_referral(referral_id, Action.REFERRAL_READ)
    expected = expected_version(headers["if_match"], referral.version, fallback=None)
    referral = referrals_service.transition(g.user, referral, data["action"], expected_version=expected,
                                            reason=data["reason"], message=data["message"])
    return summary(referral), 200, {"ETag": etag(referral.version)}
