from celery import shared_task

from .models import IdentityImport
from .services import identity_import_preview, identity_import_run


@shared_task(ignore_result=True, acks_late=True)
def preview_identity_import(import_id: int) -> None:
    """Check an uploaded file (idempotent: a second delivery finds it already checked)."""
    batch = IdentityImport.objects.filter(pk=import_id).first()
    if batch is not None:
        identity_import_preview(batch=batch)


@shared_task(ignore_result=True, acks_late=True)
def apply_identity_import(import_id: int) -> None:
    """Import a confirmed file (idempotent: runs only while the batch is 'applying')."""
    batch = IdentityImport.objects.filter(pk=import_id).first()
    if batch is not None:
        identity_import_run(batch=batch)
