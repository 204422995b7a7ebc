"""Applications (救助申请): intake at the township window, materials and the 7-day promise,
the state of the case, reminders and the applicant's notifications.

The state graph itself is in ``workflow.py``; every change goes through ``services.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.storage import FileSystemStorage

if TYPE_CHECKING:
    from .expenses import Attachment


def private_storage() -> FileSystemStorage:
    """Scans and photos: under MEDIA_ROOT, which no URL serves; a view checks who may see them.

    A callable, so that migrations record the function and not one machine's path."""
    return FileSystemStorage(location=settings.MEDIA_ROOT / "private", base_url=None)


def _upload_to(instance: Attachment, filename: str) -> str:
    return f"applications/{instance.application_id}/{instance.sha256[:16]}{instance.extension}"


# the rooms of the app's models (the two callables above stay here: migrations name them here)
from .case import Application  # noqa: E402
from .choices import (  # noqa: E402
    FINAL_STATES,
    ZERO,
    AgentKind,
    HospitalLevel,
    Kind,
    OnestopReason,
    Origin,
    PromiseStatus,
    Recommendation,
    RecoveryReason,
    RejectionReason,
    Status,
)
from .expenses import ApplicationEvent, Attachment, Material, MedicalExpense  # noqa: E402
from .notices import (  # noqa: E402
    NOTIFICATION_STATES,
    CalendarDay,
    IllnessCheck,
    InboxMessage,
    Letter,
    Notification,
)
from .online import ONLINE_UPLOAD_STATES, OnlineCode, OnlineUpload  # noqa: E402

__all__ = [
    "FINAL_STATES",
    "NOTIFICATION_STATES",
    "ONLINE_UPLOAD_STATES",
    "ZERO",
    "AgentKind",
    "Application",
    "ApplicationEvent",
    "Attachment",
    "CalendarDay",
    "HospitalLevel",
    "IllnessCheck",
    "InboxMessage",
    "Kind",
    "Letter",
    "Material",
    "MedicalExpense",
    "Notification",
    "OnestopReason",
    "OnlineCode",
    "OnlineUpload",
    "Origin",
    "PromiseStatus",
    "Recommendation",
    "RecoveryReason",
    "RejectionReason",
    "Status",
    "_upload_to",
    "private_storage",
]
