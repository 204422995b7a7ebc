"""gunicorn's settings for the portal: `gunicorn -c config/gunicorn_conf.py config.wsgi`.

Every value can be changed by the environment or ``.env`` (GUNICORN_BIND, WEB_CONCURRENCY, …:
read here first, as every entry point reads it, config/environment.py) or on the command line,
which wins over this file.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from config.environment import settings_module

settings_module()

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))  # a letter renders in well under a second
graceful_timeout = 20
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
# No query strings in the access log: a URL must never carry an ID number, but if one ever
# does, it does not reach the log either.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
# whose X-Forwarded-Proto gunicorn believes: the same proxies whose X-Forwarded-For the portal
# believes (TRUSTED_PROXIES, core/clientaddr.py), unless said otherwise
forwarded_allow_ips = os.environ.get(
    "FORWARDED_ALLOW_IPS", os.environ.get("TRUSTED_PROXIES", "") or "127.0.0.1"
)


def post_worker_init(worker):
    """Load the Chinese fonts' character table before the first request, not during it (0.7 s)."""
    from core.pdf import covered

    covered()
