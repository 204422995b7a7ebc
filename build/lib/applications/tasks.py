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


@shared_task(ignore_result=True)
def render_letters(application_id: int) -> None:
    """Render the documents a case has at its stage and does not have yet (idempotent)."""
    from . import documents
    from .models import Application

    app = Application.objects.get(pk=application_id)
    for kind in documents.kinds_for(app):
        if documents.latest(app, kind) is None:
            try:
                documents.letter_render(application=app, kind=kind)
            except documents.ValidationError:  # an unprintable name: staff see it on the page
                continue
