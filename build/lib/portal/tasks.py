import socket

from celery import shared_task
from django.utils import timezone

from .models import WorkerHeartbeat


@shared_task(ignore_result=True)
def record_heartbeat() -> str:
    """Run by Celery beat every HEARTBEAT_SECONDS: proves beat -> broker -> worker -> database."""
    name = f"{socket.gethostname()}"
    WorkerHeartbeat.objects.update_or_create(worker=name, defaults={"seen_at": timezone.now()})
    return name
