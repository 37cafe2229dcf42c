"""Referrals: refer a file, list the inbox or outbox, read one, fire a workflow transition."""

from __future__ import annotations

from flask import g, url_for
from sqlalchemy import select

from ..extensions import db
from ..models import Referral, ReferralEvent, Service, SlaTimer
from ..models.vocab import ReferralStatus
from ..policy import Action, inbox_query, outbox_query
from ..services.referrals import create_referral, read_referral
from ..workflows import engine
from ..workflows.definition import available_transitions
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

PAGE_SIZE = 25
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
    page = args["page"]
    if args["box"] == "inbox":
        guard(Action.REFERRAL_RECEIVE)
        query = inbox_query(g.user).where(Referral.is_open.is_(args["state"] == "open"))
        if args["state"] != "open":
            query = query.order_by(None).order_by(Referral.updated_at.desc(), Referral.id)
    else:
        guard(Action.REFERRAL_SEND)
        query = outbox_query(g.user)
        if args["state"] == "back":
            query = query.where(Referral.status.in_([ReferralStatus.DECLINED, ReferralStatus.RETURNED]),
                                Referral.superseded_by_id.is_(None))
        else:
            query = query.where(Referral.is_open.is_(args["state"] == "open"))
    rows = db.session.execute(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).scalars().all()
    return {"items": [summary(r) for r in rows[:PAGE_SIZE]], "page": page, "page_size": PAGE_SIZE,
            "next_page": page + 1 if len(rows) > PAGE_SIZE else None}


@bp.route("/cases/<uuid:case_id>/referrals", methods=["POST"])
@bp.arguments(ReferralCreateSchema)
@bp.response(201, ReferralSummarySchema, headers=ETAG_HEADER)
@bp.problems(401, 403, 404)
def refer(data, case_id):
    """Refer the survivor to a service: the referral is sent at once, within her consent"""
    case, _access = load_case(case_id, Action.CASE_REFER)
    service = db.session.get(Service, data["service_id"])
    referral = create_referral(g.user, case, service=service, urgency=data["urgency"],
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
    view = read_referral(g.user, referral, decision)
    side = decision.relation
    events = db.session.execute(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
                                .order_by(ReferralEvent.occurred_at, ReferralEvent.id)).scalars().all()
    timers = db.session.execute(select(SlaTimer).where(SlaTimer.referral_id == referral.id)
                                .order_by(SlaTimer.due_at)).scalars().all()
    body = summary(referral) | {
        "relation": side,
        "actions": [t.name for t in available_transitions(referral.status, side)],
        "shared_fields": list(referral.shared_fields or []),
        "assault_at": referral.assault_at, "acknowledged_at": referral.acknowledged_at,
        "decided_at": referral.decided_at, "first_action_at": referral.first_action_at,
        "completed_at": referral.completed_at,
        "identity": view["identity"], "message": view["message"], "outcome": view["outcome"],
        "access_ended": view["access"].ended if view["access"] else None,
        "access_until": view["access"].until if view["access"] else None,
        "history": [{"action": e.action, "from_status": e.from_status, "to_status": e.to_status,
                     "occurred_at": e.occurred_at, "actor_agency_id": e.actor_agency_id, "reason": e.reason_code,
                     "comment": view["comments"].get(e.id)} for e in events],
        "timers": timers,
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
    referral = engine.fire(referral, data["action"], g.user, expected_version=expected, reason=data["reason"],
                           message=(data["message"] or "").strip() or None)
    return summary(referral), 200, {"ETag": etag(referral.version)}
