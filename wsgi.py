"""WSGI entry point: `gunicorn -c gunicorn.conf.py wsgi:app`, `flask --app wsgi ...`.

Trusted proxies (MASAR_TRUSTED_PROXIES) are set up by the app factory (referral/security/proxies.py).
"""

from referral import create_app

app = create_app()
