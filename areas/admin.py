from typing import Any

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.admin import YuanAdminMixin

from . import services
from .models import County, Institution, Township


class NoDeleteMixin:
    """Areas are referenced by people, cases and audit rows: deactivate them instead of deleting."""

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class TownshipInline(admin.TabularInline):
    model = Township
    extra = 0
    fields = ["code", "name", "kind", "window_phone", "active"]
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # add townships on their own page, so the change goes through the service

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(County)
class CountyAdmin(YuanAdminMixin, NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ["code", "name", "city", "agency_name", "agency_phone", "active"]
    list_filter = ["city", "active"]
    search_fields = ["code", "name"]
    inlines = [TownshipInline]

    def save_model(self, request: Any, obj: County, form: Any, change: bool) -> None:
        services.county_save(county=obj, actor=request.user)


@admin.register(Township)
class TownshipAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "county", "window_phone", "active"]
    list_filter = ["county", "kind", "active"]
    search_fields = ["code", "name"]

    def save_model(self, request: Any, obj: Township, form: Any, change: bool) -> None:
        services.township_save(township=obj, actor=request.user)


@admin.register(Institution)
class InstitutionAdmin(NoDeleteMixin, admin.ModelAdmin):
    """定点医药机构名录: imported on the import page; corrected here; taken out by 在册 = no."""

    list_display = ["code", "name", "level", "grade", "region", "active"]
    list_filter = ["level", "active"]
    search_fields = ["code", "name"]

    def save_model(self, request: Any, obj: Institution, form: Any, change: bool) -> None:
        services.institution_save(institution=obj, actor=request.user)
