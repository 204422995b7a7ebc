from django.contrib import admin

from .models import BurdenWarning, BurdenYear, FollowUp, HospitalSettlement, MonitoringRun


@admin.register(HospitalSettlement)
class HospitalSettlementAdmin(admin.ModelAdmin):
    list_display = ("hospital", "hospital_level", "kind", "day", "total", "out_of_list")
    list_filter = ("hospital_level", "kind")
    raw_id_fields = ("person", "source_import")
    search_fields = ("hospital", "settlement_number")


@admin.register(BurdenYear)
class BurdenYearAdmin(admin.ModelAdmin):
    list_display = ("person", "year", "total", "burden_after_insurance", "burden_after_assistance")
    list_filter = ("year",)
    raw_id_fields = ("person",)


@admin.register(BurdenWarning)
class BurdenWarningAdmin(admin.ModelAdmin):
    list_display = ("person", "year", "list", "level", "status", "burden", "threshold")
    list_filter = ("year", "list", "level", "status")
    raw_id_fields = ("person", "application")


admin.site.register(FollowUp)
admin.site.register(MonitoringRun)
