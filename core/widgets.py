"""Form widgets: the browser's date picker, and Bootstrap's look for filter forms (django-filter
builds plain widgets)."""

from __future__ import annotations

from typing import Any

from django import forms


def bootstrap(fields: Any) -> None:
    """Give every widget of a form's ``fields`` the small Bootstrap class that fits it."""
    for field in fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs["class"] = "form-check-input"
        elif isinstance(widget, forms.Select):
            widget.attrs["class"] = "form-select form-select-sm"
        else:
            widget.attrs["class"] = "form-control form-control-sm"


class DateInput(forms.DateInput):
    """The browser's date picker. Its value must be ISO (YYYY-MM-DD) whatever the language:
    Django's localized format (2026/03/16 in zh-hans) leaves the picker empty, so a draft
    reopened or a case started from a warning would lose its dates."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")
