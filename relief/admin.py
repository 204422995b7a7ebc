"""梯次减负 in the admin: the bodies are data the administrator keeps (per city); the rest is read
only here (each record is made on its page, with its audit row). Keys: ``manage.py create_relief_key``."""

from typing import Any

from django.contrib import admin

from audit.services import save_audited
from core.admin import ReadOnlyAdmin

from .models import Body, Deliberation, EarlyReport, Handoff, Help, StationKey


@admin.register(Body)
class BodyAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "city", "answer_days", "active", "key_prefix")
    list_filter = ("city", "kind", "active")
    fields = ("city", "name", "kind", "contact", "answer_days", "active", "key_prefix")
    readonly_fields = ("key_prefix",)

    def save_model(self, request: Any, obj: Body, form: Any, change: bool) -> None:
        save_audited(instance=obj, actor=request.user)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(StationKey)
class StationKeyAdmin(admin.ModelAdmin):
    list_display = ("institution", "label", "key_prefix", "active", "created_at")
    fields = ("institution", "label", "key_prefix", "active", "created_at")
    readonly_fields = ("institution", "label", "key_prefix", "created_at")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Handoff)
class HandoffAdmin(ReadOnlyAdmin):
    list_display = ("number", "body", "year", "burden", "state", "due_on")
    list_filter = ("state", "origin")


@admin.register(Help)
class HelpAdmin(ReadOnlyAdmin):
    list_display = ("body", "year", "amount", "day", "kind", "reference")


@admin.register(Deliberation)
class DeliberationAdmin(ReadOnlyAdmin):
    list_display = ("number", "year", "amount", "state", "met_on")
    list_filter = ("state",)


@admin.register(EarlyReport)
class EarlyReportAdmin(ReadOnlyAdmin):
    list_display = ("institution", "admitted_on", "expected_total", "state")
    list_filter = ("state",)
    exclude = ("id_number",)
