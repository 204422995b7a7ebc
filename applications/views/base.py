"""What the pages of a case share: a service's refusal shown on the form, the case found in the
user's own area (404 otherwise)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404

from accounts.access import StaffRequest

from ..models import Application
from ..selectors import application_page, case_page


def _errors(form: Any, exc: ValidationError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


def _own_application(request: StaffRequest, number: str, *, whole: bool = False) -> Application:
    """The case in the user's area (404 otherwise); ``whole``: with every record its page reads."""
    try:
        return (case_page if whole else application_page)(request.user, number)
    except Application.DoesNotExist:
        raise Http404("没有找到该申请，或不属于您的辖区。") from None
