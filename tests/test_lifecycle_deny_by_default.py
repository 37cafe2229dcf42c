"""Deny by default: every route refuses an anonymous visitor, except the few public ones."""

from __future__ import annotations

import re

from referral.api.access import PUBLIC_ENDPOINTS as API_PUBLIC
from referral.lifecycle import PUBLIC_ENDPOINTS

SAMPLE_VALUES = {"int": "1", "uuid": "00000000-0000-0000-0000-000000000000"}


def _concrete(rule) -> str:
    def value(match):
        converter = (match.group(1) or "").rstrip(":")
        return SAMPLE_VALUES.get(converter, "00000000-0000-0000-0000-000000000000")

    return re.sub(r"<(?:(\w+):)?\w+>", value, rule.rule)


def test_every_private_route_refuses_anonymous_visitors(app, client):
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint in API_PUBLIC:
            continue
        url = _concrete(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            if rule.endpoint.startswith("api."):
                assert response.status_code in (401, 404, 405), (method, url, response.status_code)
            else:
                refused = response.status_code in (400, 401, 403, 404, 405) or (
                    response.status_code == 302 and "/login" in response.headers["Location"])
                assert refused, (method, url, response.status_code)
            checked += 1
    assert checked > 20


def test_public_endpoints_are_only_the_expected_few():
    # The API's contract and the token endpoint; nothing there reads survivor data.
    # The public directory in HSDS 3.0 (no address, no email) is the one resource open to anyone.
    assert {"api.openapi_json", "api.docs", "api.auth.create_token", "api.hsds.services"} == API_PUBLIC
    assert {"static", "auth.login", "auth.second_factor", "auth.enrol", "auth.logout",
                                "i18n.set_language", "health.live", "health.ready",
            # The public report pages (issue 17): a report, its status with the receipt, an addition.
            "public.report", "public.status", "public.add_information",
            # The awareness library's published pages and the help by region (never a draft).
            "library.index", "library.item", "library.document", "library.help",
            # A caseworker's calendar feed: its secret address is the credential, opaque entries only.
            "calendar.feed",
            # A partner outside Masar answering its referral letter: the printed one-time address is the key.
            "partner.show", "partner.act"} == PUBLIC_ENDPOINTS
