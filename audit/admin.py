from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the trail is append-only."""

    list_display = ["at", "actor_username", "actor_role", "action", "target_repr", "ip"]
    list_filter = ["action", "actor_role", "county"]
    search_fields = ["actor_username", "target_repr", "summary", "=target_id"]
    date_hierarchy = "at"
