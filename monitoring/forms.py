from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.utils import timezone

from areas.models import Township
from beneficiaries.models import Person
from core.crypto import blind_index
from core.widgets import DateInput, FilterForm, bootstrap
from engine.categories import CATEGORIES

from .models import BurdenWarning, CloseReason, FollowUp, WarningLevel, WarningStatus


class WarningFilter(django_filters.FilterSet):
    """The township's warning list: open ones first; everything stays in the URL."""

    q = django_filters.CharFilter(label="姓名 / 身份证号", method="search")
    status = django_filters.ChoiceFilter(
        label="跟进状态",
        choices=[("todo", "待跟进和已联系"), *WarningStatus.choices],
        empty_label="全部",
        method="with_status",
    )
    level = django_filters.ChoiceFilter(
        label="预警类别", choices=WarningLevel.choices, empty_label="全部"
    )
    category = django_filters.ChoiceFilter(
        label="困难身份",
        choices=[("none", "无困难身份"), *((c, v[1]) for c, v in CATEGORIES.items())],
        empty_label="全部",
        method="with_category",
    )
    year = django_filters.NumberFilter(label="年度")
    township = django_filters.ModelChoiceFilter(
        label="乡镇（街道）", queryset=Township.objects.none(), empty_label="全部"
    )

    class Meta:
        model = BurdenWarning
        fields: list[str] = []
        form = FilterForm

    def __init__(self, *args: Any, townships: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["township"].queryset = (
            townships if townships is not None else Township.objects.none()
        )
        bootstrap(self.form.fields)

    def search(self, queryset: Any, name: str, value: str) -> Any:
        value = value.strip().upper()
        if len(value) == 18:
            return queryset.filter(person__id_index=blind_index(Person, value))
        return queryset.filter(person__name__startswith=value)

    def with_status(self, queryset: Any, name: str, value: str) -> Any:
        if value == "todo":
            return queryset.filter(status__in=[WarningStatus.OPEN, WarningStatus.CONTACTED])
        return queryset.filter(status=value)

    def with_category(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(category="" if value == "none" else value)


class ContactForm(forms.Form):
    method = forms.ChoiceField(label="联系方式", choices=FollowUp.Method.choices)
    contacted_on = forms.DateField(label="联系日期", widget=DateInput())
    note = forms.CharField(
        label="联系情况",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="如：已电话告知可申请因病致贫重病患者认定和医疗救助，本人同意下周来窗口。",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"contacted_on": timezone.localdate()})
        super().__init__(*args, **kwargs)

    def clean_contacted_on(self) -> Any:
        day = self.cleaned_data["contacted_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("联系日期不能晚于今天。")
        return day


class CloseForm(forms.Form):
    reason = forms.ChoiceField(
        label="办结原因",
        choices=[(c.value, c.label) for c in CloseReason if c != CloseReason.BELOW],
    )
    note = forms.CharField(
        label="说明", max_length=400, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> Any:
        data = super().clean() or {}
        if data.get("reason") == CloseReason.OTHER and not (data.get("note") or "").strip():
            self.add_error("note", "办结原因为“其他”时，请写明原因。")
        return data
