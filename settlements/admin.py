from django.contrib import admin

from core.admin import YuanAdminMixin

from .models import CountyBudget


@admin.register(CountyBudget)
class CountyBudgetAdmin(YuanAdminMixin, admin.ModelAdmin):
    """Each county's yearly medical-assistance budget; approvers see what is left."""

    list_display = ["county", "year", "amount"]
    list_filter = ["year", "county"]
