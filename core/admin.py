"""Admin pieces every app may use."""

from collections.abc import Mapping
from typing import Any, ClassVar

from django.contrib import admin
from django.db import models

from .forms import YuanField


class YuanAdminMixin:
    """Amounts typed on an admin page go through the one amount parser (``engine.money``): no
    ``1e5``, full-width digits or thousands separators slip in where the site's forms refuse them."""

    formfield_overrides: ClassVar[Mapping[Any, Mapping[str, Any]]] = {
        models.DecimalField: {"form_class": YuanField},
    }


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by services (imports, the audit trail, the recompute): viewable, never
    added, changed or deleted by hand."""

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
