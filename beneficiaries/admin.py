from typing import Any

from django.contrib import admin
from django.db import transaction
from simple_history.admin import SimpleHistoryAdmin

from audit.events import Event
from audit.services import record, record_view, save_audited
from core.admin import ReadOnlyAdmin, YuanAdminMixin

from . import services
from .models import (
    DepartmentToken,
    HardshipIdentity,
    Household,
    IdentityImport,
    ImportRow,
    Person,
    PersonChange,
)
from .selectors import ID_NUMBER


class IdentityInline(admin.TabularInline):
    model = HardshipIdentity
    extra = 0
    fields = ["category", "department", "certificate_number", "certified_on", "ended_on", "source"]
    readonly_fields = ["source"]
    fk_name = "person"


@admin.register(Person)
class PersonAdmin(SimpleHistoryAdmin):
    list_display = ["name", "masked_id_number", "sex", "township", "phone"]
    list_filter = ["township__county", "township"]
    search_fields = ["name", "=phone"]  # and a full ID number, through its blind index
    readonly_fields = ["sex", "birth_date", "id_warning"]
    inlines = [IdentityInline]
    raw_id_fields = ["household"]

    def get_search_results(self, request: Any, queryset: Any, search_term: str) -> Any:
        term = search_term.strip().upper()
        if ID_NUMBER.fullmatch(term):  # the people list's own test of a full ID number
            return queryset.with_id_number(term), False
        return super().get_search_results(request, queryset, search_term)

    fieldsets = (
        (None, {"fields": ("id_number", "name", "sex", "birth_date", "id_warning")}),
        ("联系与住址", {"fields": ("phone", "address", "township", "hukou_place", "hukou_local")}),
        ("家庭", {"fields": ("household", "relationship")}),
        ("救助金账户", {"fields": ("bank_name", "bank_account_holder", "bank_account_number")}),
    )

    def change_view(
        self, request: Any, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        person = Person.objects.filter(pk=object_id).first()
        if person is not None:
            record_view(
                event=Event.PERSON_VIEWED,
                actor=request.user,
                target=person,
                summary="在系统管理中查看",
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: Any, obj: Person, form: Any, change: bool) -> None:
        services.person_save(person=obj, actor=request.user)

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        """Identities typed in by staff: marked as theirs, and each change audited."""
        with transaction.atomic():
            for ident in formset.save(commit=False):
                if not ident.pk:
                    ident.source, ident.source_user = "user", request.user
                save_audited(instance=ident, actor=request.user)
            for gone in formset.deleted_objects:
                record(
                    actor=request.user,
                    event=Event.IDENTITY_DELETED,
                    target=gone,
                    summary="删除困难身份",
                )
                gone.delete()

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Household)
class HouseholdAdmin(YuanAdminMixin, SimpleHistoryAdmin):
    list_display = ["__str__", "township", "size", "income_per_head", "income_year"]
    list_filter = ["township__county"]


class ImportRowInline(admin.TabularInline):
    model = ImportRow
    extra = 0
    can_delete = False
    fields = ["row_number", "kind", "id_number", "message"]
    readonly_fields = ["row_number", "kind", "id_number", "message"]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(IdentityImport)
class IdentityImportAdmin(ReadOnlyAdmin):
    """Read-only: imports are made on the portal's import page and kept with their results."""

    list_display = [
        "created_at",
        "kind",
        "department",
        "original_name",
        "status",
        "total_rows",
        "bad_rows",
    ]
    list_filter = ["kind", "department", "status"]


@admin.register(DepartmentToken)
class DepartmentTokenAdmin(admin.ModelAdmin):
    """Keys are made with `manage.py create_department_token`; here they can be switched off."""

    list_display = ["label", "department", "key_prefix", "active", "created_at", "last_used_at"]
    fields = ["label", "department", "key_prefix", "active", "created_at", "last_used_at"]
    readonly_fields = ["label", "department", "key_prefix", "created_at", "last_used_at"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(PersonChange)
class PersonChangeAdmin(ReadOnlyAdmin):
    """Read-only: change requests are confirmed or refused on the portal's 信息变更申请 page."""

    list_display = ["created_at", "person", "department", "township", "new_township", "status"]
    list_filter = ["status", "department"]
    raw_id_fields = ["person", "source_import"]
