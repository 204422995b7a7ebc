from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from areas.models import Township
from beneficiaries.models import Person
from core.crypto import blind_index
from core.widgets import DateInput, FilterForm, bootstrap
from engine.categories import CATEGORIES

from .models import FINAL_STATES, Application, Kind, MedicalExpense, PromiseStatus, Status
from .worklist import ORDERS


class ApplicationFilter(django_filters.FilterSet):
    """The filters of the application list and the county's review queue; all stay in the URL."""

    q = django_filters.CharFilter(
        label="编号 / 姓名 / 身份证号",
        method="search",
        help_text="可输入完整编号（有无“-”均可）、编号末 4 位（如 0005）、姓名开头、完整身份证号或其末 4 位",
    )
    township = django_filters.ModelChoiceFilter(
        label="乡镇（街道）", queryset=Township.objects.none(), empty_label="全部"
    )
    category = django_filters.ChoiceFilter(
        label="身份", choices=[(c, v[1]) for c, v in CATEGORIES.items()], empty_label="全部"
    )
    kind = django_filters.ChoiceFilter(
        label="费用类别", choices=Kind.choices, empty_label="全部", method="with_kind"
    )
    state = django_filters.ChoiceFilter(
        label="范围",
        choices=[("open", "未办结"), ("done", "已办结"), ("all", "全部")],
        empty_label=None,
        method="in_state",
    )
    status = django_filters.ChoiceFilter(
        label="办理状态", choices=Status.choices, empty_label="全部"
    )
    promise_status = django_filters.ChoiceFilter(
        label="材料承诺", choices=PromiseStatus.choices, empty_label="全部"
    )
    late = django_filters.BooleanFilter(
        label="只看超期", method="only_late", widget=forms.CheckboxInput
    )
    claim = django_filters.BooleanFilter(
        label="身份证明待核验", method="claim_waiting", widget=forms.CheckboxInput
    )
    waited = django_filters.NumberFilter(
        label="已等待至少（工作日）", method="waited_at_least", min_value=0
    )
    amount_min = django_filters.NumberFilter(
        label="金额不低于", field_name="claimed_total", lookup_expr="gte"
    )
    amount_max = django_filters.NumberFilter(
        label="金额不高于", field_name="claimed_total", lookup_expr="lte"
    )
    accepted_from = django_filters.DateFilter(
        label="受理日期从",
        field_name="accepted_on",
        lookup_expr="gte",
        widget=DateInput(),
    )
    accepted_to = django_filters.DateFilter(
        label="到",
        field_name="accepted_on",
        lookup_expr="lte",
        widget=DateInput(),
    )
    order = django_filters.ChoiceFilter(
        label="排序",
        choices=[(k, o.label) for k, o in ORDERS.items()],
        empty_label=None,
        method="no_op",
    )

    class Meta:
        model = Application
        fields: list[str] = []
        form = FilterForm

    def __init__(
        self,
        *args: Any,
        townships: QuerySet[Township] | None = None,
        calendar: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.filters["township"].queryset = (
            townships if townships is not None else Township.objects.none()
        )
        bootstrap(self.form.fields)
        self.calendar = calendar

    def search(
        self, queryset: QuerySet[Application], name: str, value: str
    ) -> QuerySet[Application]:
        """What a reviewer types: a whole number with or without its dashes
        (``150121-20261128-0005`` or ``150121202611280005``), the end of one (``0005``, as a
        clerk reads it out), an ID number or the four digits the masked one shows (``1034``), or
        the start of a name."""
        value = "".join(value.split()).upper()
        if not value:
            return queryset
        digits = value.replace("-", "")
        if len(value) == 18 and value[:17].isdigit():
            # an ID number, or an application number typed without its dashes
            number = f"{value[:6]}-{value[6:14]}-{value[14:]}"
            return queryset.filter(
                Q(person__id_index=blind_index(Person, value)) | Q(number=number)
            )
        if digits.isdigit() and len(digits) <= 4:
            return queryset.filter(
                Q(number__endswith=f"-{digits.zfill(4)}") | Q(person__id_tail=value)
            )
        if len(value) == 4 and value[:3].isdigit() and value[3] == "X":
            return queryset.filter(person__id_tail=value)
        if value[:1].isdigit():
            if "-" not in value and len(digits) > 6:
                value = "-".join(filter(None, [digits[:6], digits[6:14], digits[14:]]))
            return queryset.filter(number__startswith=value)
        return queryset.filter(person__name__startswith=value)

    def in_state(
        self, queryset: QuerySet[Application], name: str, value: str
    ) -> QuerySet[Application]:
        """未办结 by default (a queue is what is still to do); a chosen 办理状态 wins."""
        if self.form.cleaned_data.get("status") or value == "all":
            return queryset
        if value == "done":
            return queryset.filter(status__in=FINAL_STATES)
        return queryset.exclude(status__in=FINAL_STATES)  # the partial indexes' own condition

    def with_kind(
        self, queryset: QuerySet[Application], name: str, value: str
    ) -> QuerySet[Application]:
        return queryset.filter(
            Exists(MedicalExpense.objects.filter(application=OuterRef("pk"), kind=value))
        )

    def claim_waiting(
        self, qs: QuerySet[Application], name: str, value: Any
    ) -> QuerySet[Application]:
        """Cases whose certificate recorded at the window waits for the county (issue 19)."""
        return qs.filter(identity_claim__status="pending") if value else qs

    def only_late(
        self, queryset: QuerySet[Application], name: str, value: bool
    ) -> QuerySet[Application]:
        if not value:
            return queryset
        return queryset.filter(step_due_on__lt=timezone.localdate())

    def waited_at_least(
        self, queryset: QuerySet[Application], name: str, value: Any
    ) -> QuerySet[Application]:
        if value is None or self.calendar is None:
            return queryset
        # the latest day from which ``value`` working days have passed until today
        day, counted, today = timezone.localdate(), 0, timezone.localdate()
        while counted < int(value) and day > today - timedelta(days=3660):
            if self.calendar.is_working_day(day):
                counted += 1
            day -= timedelta(days=1)
        # a bound on the column itself (not on its date), so the index on it can be used
        start_of_next_day = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
        return queryset.filter(status_changed_at__lt=start_of_next_day)

    def no_op(
        self, queryset: QuerySet[Application], name: str, value: Any
    ) -> QuerySet[Application]:
        return queryset  # the order is applied by the keyset paginator
