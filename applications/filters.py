import django_filters
from django.db.models import Q, QuerySet

from .models import Application, PromiseStatus, Status


class ApplicationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="编号 / 姓名 / 身份证号", method="search")
    status = django_filters.ChoiceFilter(
        label="办理状态", choices=Status.choices, empty_label="全部"
    )
    promise_status = django_filters.ChoiceFilter(
        label="材料承诺", choices=PromiseStatus.choices, empty_label="全部"
    )

    class Meta:
        model = Application
        fields = ["q", "status", "promise_status"]

    def search(
        self, queryset: QuerySet[Application], name: str, value: str
    ) -> QuerySet[Application]:
        value = value.strip().upper()
        if not value:
            return queryset
        if len(value) == 18:
            return queryset.filter(person__id_number=value)
        if value[:1].isdigit():
            return queryset.filter(number__startswith=value)
        return queryset.filter(Q(person__name__startswith=value))
