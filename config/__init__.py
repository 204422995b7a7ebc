# The settings module is decided before anything imports Django's settings or creates the Celery
# app: environment, then .env, then development (config/environment.py).
from .environment import settings_module

settings_module()

from .celery import app as celery_app  # noqa: E402

__all__ = ("celery_app",)
