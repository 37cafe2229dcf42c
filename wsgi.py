"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import os

from werkzeug.middleware.proxy_fix import ProxyFix

from referral import create_app

app = create_app()

# Behind a reverse proxy, trust its X-Forwarded-* headers (number of proxies in front).
_proxies = int(os.environ.get("MASAR_TRUSTED_PROXIES", "0"))
if _proxies:
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=_proxies, x_proto=_proxies, x_host=_proxies)
