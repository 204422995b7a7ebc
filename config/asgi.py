"""ASGI entry point: the settings module as for WSGI (config/environment.py)."""

from django.core.asgi import get_asgi_application

from .environment import settings_module

settings_module()
application = get_asgi_application()
