from typing import Any

from django import forms
from django.contrib import admin

from areas.models import City
from core.admin import YuanAdminMixin

from . import services
from .models import FundAllocation, FundSource


class CityForm(forms.ModelForm):
    def clean_policy_code(self) -> str:
        code: str = self.cleaned_data["policy_code"]
        error = services.policy_code_error(code)
        if error:
            raise forms.ValidationError(error)
        return code


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    """A city and the settlement policy its counties use (registered here: which policies exist
    is the settlements floor's knowledge). Cities are referenced by everything: no delete."""

    form = CityForm
    list_display = ["code", "name", "policy_code"]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def save_model(self, request: Any, obj: City, form: Any, change: bool) -> None:
        services.city_save(city=obj, actor=request.user)


@admin.register(FundSource)
class FundSourceAdmin(admin.ModelAdmin):
    """The list of fund sources (data): the books' rows and the order outlays draw on them."""

    list_display = ["position", "name", "code", "active"]
    list_editable = ["active"]
    list_display_links = ["name"]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(FundAllocation)
class FundAllocationAdmin(YuanAdminMixin, admin.ModelAdmin):
    """Each county's yearly medical-assistance money by source; the budget is their sum, and
    approvers see what is left (年度清算 under 一屏观救助 · 资金)."""

    list_display = ["county", "year", "source", "amount", "note"]
    list_filter = ["year", "county", "source"]
