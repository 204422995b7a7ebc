from django.contrib import admin

from .models import CalendarDay


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Holidays and make-up working days the holiday package does not know yet (or gets wrong)."""

    list_display = ["day", "working", "note"]
    list_filter = ["working"]
    date_hierarchy = "day"
