"""The one place that decides the settings module, for every entry point.

``manage.py``, WSGI and ASGI (gunicorn), and Celery's worker and beat all import the ``config``
package first, and its ``__init__`` calls :func:`settings_module` before anything else, so each
of them sees the same answer:

1. a variable set in the process's environment wins (systemd's ``Environment=``, a shell's
   ``export``);
2. then ``.env`` beside ``manage.py`` (docs/production.md: the operator's file, mode 0600): every
   variable it gives that the environment does not, ``DJANGO_SETTINGS_MODULE`` included;
3. then the development settings, the embedded default of ``make run`` (SQLite, no variable).

Before, Celery set the development default before ``.env`` was read, so a production set up with
``.env`` alone ran gunicorn on the development settings against the production database (plain
HTTP, no HSTS, a key file made next to it).
"""

from __future__ import annotations

import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
ENV_FILE = BASE_DIR / ".env"
DEFAULT = "config.settings.dev"


def settings_module() -> str:
    """Put ``.env``'s variables into the environment (the environment wins) and return the
    settings module this process runs with. Idempotent."""
    if ENV_FILE.is_file():
        environ.Env.read_env(ENV_FILE, overwrite=False)
    return os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT)
