"""gunicorn settings for Masar: `gunicorn -c gunicorn.conf.py wsgi:app` (README, "Deploying").

Worker sizing was measured on a 2-core machine under 20 concurrent clients (bench/workers.py,
BENCHMARKS.md "Worker sizing"): sync workers, two per core, one thread each, gave the best p95;
threads add latency to CPU-bound requests (templates, argon2, AES) under the GIL. Every value can
be overridden from the environment for a bigger machine; measure again before raising them.
"""

import multiprocessing
import os

bind = os.environ.get("MASAR_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("MASAR_GUNICORN_WORKERS", 2 * multiprocessing.cpu_count()))
threads = int(os.environ.get("MASAR_GUNICORN_THREADS", 1))
worker_class = "gthread" if threads > 1 else "sync"
# A request slower than this is stuck (the database's statement timeout should cut it first).
timeout = int(os.environ.get("MASAR_GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5  # behind the proxy's keep-alive pool
# Replace workers now and then, staggered, so a slow leak cannot grow for months.
max_requests = 2000
max_requests_jitter = 200
# The proxy limits bodies (README); these bound request lines and headers here too.
limit_request_line = 8190
limit_request_fields = 100
# Logs to stdout/stderr: journald (or the container runtime) keeps and rotates them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("MASAR_GUNICORN_LOG_LEVEL", "info")
# No survivor data in URLs, but no query strings or cookies in the access log either.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'


def post_worker_init(worker):
    """Each worker checks its database and keys as it starts, so the log says at boot what is
    wrong (referral/selfcheck.py); a database unreachable now is checked on the first request."""
    app = worker.wsgi
    if app.config.get("SELF_CHECK"):
        from referral.selfcheck import checked_findings

        checked_findings(app)
