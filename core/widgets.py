"""Bootstrap's look for filter forms (django-filter builds plain widgets)."""

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
