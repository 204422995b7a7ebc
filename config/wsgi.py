"""WSGI entry point (gunicorn): the settings module comes from the environment, then ``.env``
(config/environment.py, run when the ``config`` package was imported)."""

from django.core.wsgi import get_wsgi_application

from .environment import settings_module

settings_module()
application = get_wsgi_application()
