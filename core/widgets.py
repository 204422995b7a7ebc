"""Form widgets: the browser's date picker, and Bootstrap's look for filter forms (django-filter
builds plain widgets)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import Jinja2


class FilterForm(forms.Form):
    """A filter form whose widgets are drawn by Django's own widget templates in Jinja2 rather
    than the Django template language: the same HTML, several times faster. A queue page draws 15
    widgets and their 50 options on every click (issue 21)."""

    default_renderer = Jinja2()


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
