from typing import Any

from django.contrib import admin
from django.db.models import QuerySet

from core.admin import ReadOnlyAdmin

from .models import AuditEvent


class RoleFilter(admin.SimpleListFilter):
    """The actor's role; rows without one (the system, an applicant) under a name, not a blank link."""

    title = "角色"
    parameter_name = "actor_role"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, str]]:
        roles = AuditEvent.objects.order_by().values_list("actor_role", flat=True).distinct()
        return [(r or "-", r or "（无：系统或申请人）") for r in sorted(set(roles))]

    def queryset(self, request: Any, queryset: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        value = self.value()
        if not value:
            return queryset
        return queryset.filter(actor_role="" if value == "-" else value)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the trail is append-only."""

    list_display = ["at", "actor_username", "actor_role", "action", "target_repr", "ip"]
    list_filter = ["action", RoleFilter, "county"]
    search_fields = ["actor_username", "target_repr", "summary", "=target_id"]
    date_hierarchy = "at"
