"""Read-only admin pages: hospital records come from imports, the rest from the recompute and the
township's follow-up (each with its audit row), so nothing here is typed in or deleted by hand."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import BurdenWarning, BurdenYear, FollowUp, HospitalSettlement, MonitoringRun


@admin.register(HospitalSettlement)
class HospitalSettlementAdmin(ReadOnlyAdmin):
    list_display = ("hospital", "hospital_level", "kind", "day", "total", "out_of_list")
    list_filter = ("hospital_level", "kind")
    search_fields = ("hospital", "settlement_number")


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
