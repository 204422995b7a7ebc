from typing import Any

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from audit.services import record_view

from . import services
from .models import Person


@admin.register(Person)
class PersonAdmin(SimpleHistoryAdmin):
    list_display = ["name", "masked_id_number", "township"]
    list_filter = ["township__county", "township"]
    search_fields = ["name", "=id_number"]

    def change_view(
        self, request: Any, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        person = Person.objects.filter(pk=object_id).first()
        if person is not None:
            record_view(actor=request.user, target=person, summary="在系统管理中查看")
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: Any, obj: Person, form: Any, change: bool) -> None:
        services.person_save(person=obj, actor=request.user)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
