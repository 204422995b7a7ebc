import django_filters
from django.db.models import Q, QuerySet

from core.widgets import DateInput, FilterForm

from .events import Event
from .models import AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="关键词", method="search", help_text="账号、对象或说明中包含的文字"
    )
    action = django_filters.ChoiceFilter(
        label="操作", choices=AuditEvent.Action.choices, empty_label="全部操作"
    )
    event = django_filters.ChoiceFilter(
        label="事项", choices=Event.choices, empty_label="全部事项", help_text="每项操作各有代码"
    )
    actor_username = django_filters.CharFilter(label="账号", lookup_expr="exact")
    target_type = django_filters.CharFilter(label="对象类型", lookup_expr="exact")
    target_id = django_filters.CharFilter(label="对象编号", lookup_expr="exact")
    since = django_filters.DateFilter(
        label="开始日期",
        field_name="at",
        lookup_expr="date__gte",
        widget=DateInput(),
    )
    until = django_filters.DateFilter(
        label="结束日期",
        field_name="at",
        lookup_expr="date__lte",
        widget=DateInput(),
    )

    class Meta:
        model = AuditEvent
        fields: list[str] = []
        form = FilterForm

    def search(self, queryset: QuerySet[AuditEvent], name: str, value: str) -> QuerySet[AuditEvent]:
        return queryset.filter(
            Q(actor_username__icontains=value)
            | Q(target_repr__icontains=value)
            | Q(summary__icontains=value)
        )
