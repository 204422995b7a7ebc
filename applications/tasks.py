"""Celery tasks: thin, idempotent, and never the only way the work gets done."""

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def deliver_notifications() -> None:
    """Send what waits in the outbox now (queued after a commit that wrote a notification)."""
    services.notifications_deliver_all()


@shared_task(ignore_result=True)
def sweep_reminders() -> None:
    """Beat, every REMINDER_SWEEP_SECONDS: promise reminders, and anything the broker missed."""
    services.reminders_sweep()
