"""The Celery application: `celery -A config worker` / `celery -A config beat`.

The settings module was decided when the ``config`` package was imported (config/environment.py).
"""

from celery import Celery

app = Celery("medassist")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
