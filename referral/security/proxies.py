"""Client addresses behind a reverse proxy.

Behind a proxy every request comes from the proxy's address unless the app is told to trust its
``X-Forwarded-For`` (``MASAR_TRUSTED_PROXIES``: how many proxies are in front). Left unset, every
user shares one address, so one address's rate limit and login throttle become everyone's: about
50 bad logins from anyone lock all users out. A forwarded header arriving while no proxy is trusted
is therefore a misconfiguration to say loudly; in production (where the proxy is what terminates
TLS) such requests are refused until the operator sets the count, or sets it to 0 to say that
nothing is in front and the header is a client's own.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger(__name__)

FORWARDED_HEADERS = ("X-Forwarded-For", "Forwarded")
WARNED_KEY = "masar.proxy_warned"


def init_proxies(app: Flask) -> None:
    count = app.config["TRUSTED_PROXIES"]
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
        return

    @app.before_request
    def forwarded_without_trusted_proxies():
        if not any(name in request.headers for name in FORWARDED_HEADERS):
            return None
        refuse = count is None and current_app.config["REFUSE_UNTRUSTED_FORWARDING"]
        if refuse or not current_app.extensions.get(WARNED_KEY):  # served: said once per process
            current_app.extensions[WARNED_KEY] = True
            log.error("proxy.untrusted a request arrived with X-Forwarded-For but MASAR_TRUSTED_PROXIES is %s: "
                      "every client looks like the proxy at %s and shares its rate limits and login throttle; "
                      "set MASAR_TRUSTED_PROXIES to the number of proxies in front (README, 'Deploying')%s",
                      "unset" if count is None else "0", request.remote_addr, "; request refused" if refuse else "")
        if refuse:
            from ..faults import outage_response

            return outage_response("proxy_not_trusted")
        return None


def client_ip() -> str | None:
    """The client's address: behind a proxy, MASAR_TRUSTED_PROXIES (above) makes remote_addr the
    client's, not the proxy's."""
    return request.remote_addr
