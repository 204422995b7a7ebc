"""The files the URL × role test opens: a scan of the case and a photo the applicant uploaded."""

from django.core.files.base import ContentFile

from applications.models import Attachment, OnlineUpload


def scans(world, app) -> tuple[Attachment, OnlineUpload]:
    attachment = Attachment(
        application=app,
        material="invoice",
        original_name="a.pdf",
        content_type="application/pdf",
        size=9,
        sha256="0" * 64,
        uploaded_by=world.users["clerk"],
    )
    attachment.file.save("a.pdf", ContentFile(b"%PDF-1.4\n%%EOF"), save=False)
    attachment.save()
    online = OnlineUpload(
        application=app,
        material="invoice",
        original_name="a.jpg",
        content_type="image/jpeg",
        size=9,
        sha256="1" * 64,
    )
    online.file.save("a.jpg", ContentFile(b"\xff\xd8\xff"), save=False)
    online.save()
    return attachment, online
