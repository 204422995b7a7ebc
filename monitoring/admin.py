"""Read-only admin pages: hospital records come from imports, the rest from the recompute and the
township's follow-up (each with its audit row), so nothing here is typed in or deleted by hand."""

from typing import Any

from django.contrib import admin

from audit.services import save_audited
from core.admin import ReadOnlyAdmin

from .models import (
    BurdenWarning,
    BurdenYear,
    FollowUp,
    HospitalSettlement,
    MonitoringRun,
    PlatformCode,
)


@admin.register(HospitalSettlement)
class HospitalSettlementAdmin(ReadOnlyAdmin):
    list_display = ("hospital", "setl_id", "hospital_level", "kind", "day", "total", "origin",
                    "reversed_at")  # fmt: skip
    list_filter = ("origin", "hospital_level", "kind", "hospital_listed")
    search_fields = ("hospital", "settlement_number", "setl_id")


@admin.register(BurdenYear)
class BurdenYearAdmin(ReadOnlyAdmin):
    list_display = ("person", "year", "total", "burden_after_insurance", "burden_after_assistance")
    list_filter = ("year",)


@admin.register(BurdenWarning)
class BurdenWarningAdmin(ReadOnlyAdmin):
    list_display = ("person", "year", "list", "level", "status", "burden", "threshold")
    list_filter = ("year", "list", "level", "status")


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = ("warning", "action", "at", "actor")


@admin.register(MonitoringRun)
class MonitoringRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "scope", "people", "raised", "escalated", "closed", "seconds")


@admin.register(PlatformCode)
class PlatformCodeAdmin(admin.ModelAdmin):
    """The platform's code tables: a region adds its own codes (psn_type ships empty)."""

    list_display = ("table", "code", "name", "meaning")
    list_filter = ("table",)
    search_fields = ("code", "name")

    def save_model(self, request: Any, obj: PlatformCode, form: Any, change: bool) -> None:
        save_audited(instance=obj, actor=request.user)
