"""Loading records for a view: a missing or out-of-scope record is a 404, a refused action a 403,
and every refusal is written to the access log (in its own transaction)."""

from __future__ import annotations

from flask import abort, g

from ..audit.denials import record_denial
from ..policy import Action, NotFoundError, PermissionDenied, require
from ..services.cases import get_case
from ..services.referrals import get_referral


def guard(action: Action, record=None):
    try:
        return require(g.user, action, record)
    except NotFoundError:
        _denied(action, record, "not_found")
        abort(404)
    except PermissionDenied:
        _denied(action, record, "forbidden")
        abort(403)


def _denied(action: Action, record, answer: str) -> None:
    record_denial(action, record, answer)


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
