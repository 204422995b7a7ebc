from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from . import services
from .models import User


@admin.register(User)
class StaffAdmin(UserAdmin):
    list_display = [
        "username",
        "first_name",
        "role",
        "county",
        "township",
        "is_active",
        "last_login",
    ]
    list_filter = ["role", "county", "is_active"]
    search_fields = ["username", "first_name", "phone"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("个人信息", {"fields": ("first_name", "phone", "email")}),
        ("角色与辖区", {"fields": ("role", "county", "township", "is_active")}),
        ("登录记录", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
        ("角色与辖区", {"fields": ("first_name", "role", "county", "township", "phone")}),
    )
    readonly_fields = ["last_login", "date_joined"]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # accounts appear in the audit trail: deactivate instead

    def save_model(self, request: Any, obj: User, form: Any, change: bool) -> None:
        services.staff_save(user=obj, actor=request.user)
