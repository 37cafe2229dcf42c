"""Loading records for a view: a missing or out-of-scope record is a 404, a refused action a 403,
and every refusal is written to the access log (in its own transaction)."""

from __future__ import annotations

from flask import abort, g

from ..policy import Action, require
from ..policy.core import PolicyError
from ..policy.refusals import record_refusal
from ..services.cases import get_case
from ..services.referrals import get_referral


def guard(action: Action, record=None):
    try:
        return require(g.user, action, record)
    except PolicyError as exc:
        abort(record_refusal(exc, action=action, record=record))


def load_case(case_id, action: Action):
    case = get_case(case_id)
    if case is None:
        abort(404)
    return case, guard(action, case)


def load_report(report_id, action: Action):
    from ..services.public_reports import get_report

    report = get_report(report_id)
    if report is None:
        abort(404)
    return report, guard(action, report)


def load_referral(referral_id, action: Action):
    referral = get_referral(referral_id)
    if referral is None:
        abort(404)
    return referral, guard(action, referral)
