"""The status benchmark's server (bench/status_page.py, over HTTP): the portal's URLs plus the
floor at ``/status-floor/`` (bench/status_floor_urls.py), behind the same middleware.

    gunicorn bench.status_floor_wsgi:application
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

from django.conf import settings
from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
settings.ROOT_URLCONF = "bench.status_floor_urls"
