"""The window's bill rows: a bill taken from the platform's record by its setl_id (read-only), or
typed from the paper slip (手工录入) with its hospital code checked against the register."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from areas.institutions import institution_checked
from core.forms import check_real_date
from core.widgets import DateInput
from settlements.bills import number_checked

from .forms import amount_field
from .models import HospitalLevel, Kind, MedicalExpense
from .platform_bills import platform_bill

# the figures a platform record gives a bill (``platform_bills``), read-only at the window
FROM_PLATFORM = ("hospital", "hospital_code", "settlement_number", "hospital_level", "kind",
                 "in_region", "admitted_on", "discharged_on", "visit_on", "total", "policy_scope",
                 "basic_paid", "critical_paid")  # fmt: skip


class ExpenseForm(forms.ModelForm):
    setl_id = forms.CharField(
        label="医保平台结算ID（setl_id）",
        max_length=30,
        required=False,
        help_text="填写后按医保平台的结算记录带出这笔费用，不必手工录入；平台尚无记录的按结算单手工录入",
    )
    total = amount_field("医疗总费用（元）")
    policy_scope = amount_field("政策范围内费用（元）")
    basic_paid = amount_field("基本医保支付（元）")
    critical_paid = amount_field("大病保险支付（元）", initial=0)

    class Meta:
        model = MedicalExpense
        fields = [
            "hospital",
            "hospital_code",
            "invoice_number",
            "settlement_number",
            "hospital_level",
            "kind",
            "in_region",
            "admitted_on",
            "discharged_on",
            "visit_on",
            "total",
            "policy_scope",
            "basic_paid",
            "critical_paid",
        ]
        widgets = {
            "admitted_on": DateInput(),
            "discharged_on": DateInput(),
            "visit_on": DateInput(),
        }

    def __init__(
        self,
        *args: Any,
        earliest: date | None = None,
        person_id: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.earliest = earliest  # the policy's start: no bill can be assisted before it
        self.person_id = person_id
        self.from_platform = bool(
            (self.data.get(self.add_prefix("setl_id")) if self.is_bound else None)
            or self.initial.get("setl_id")
        )
        self.fields["kind"].choices = Kind.choices  # type: ignore[attr-defined]  # no blank
        self.fields["kind"].initial = Kind.INPATIENT
        # a new bill must be one that can be told again (不得重复救助): its issuer and its number
        self.fields["hospital_code"].required = True
        self.fields["invoice_number"].required = True
        self.fields["hospital_level"].choices = [  # type: ignore[attr-defined]
            ("", "请选择"),
            *HospitalLevel.choices,
        ]
        if self.from_platform:  # the record's figures: shown, not typed
            for name in (*FROM_PLATFORM, "invoice_number"):
                field = self.fields[name]
                field.required = False
                attrs = {"readonly": True, "aria-readonly": "true", "tabindex": "-1"}
                if not isinstance(field.widget, forms.CheckboxInput | forms.Select):
                    attrs["class"] = "bg-body-secondary"  # a box typed into: shown as fixed
                else:  # a choice cannot be read-only in HTML: shown fixed, the record's counts
                    attrs["class"] = "pe-none bg-body-secondary"
                    if isinstance(field.widget, forms.CheckboxInput):
                        attrs["class"] = "form-check-input pe-none"
                field.widget.attrs.update(attrs)

    def _bill_number(self, name: str) -> str:
        """One grammar for the bill's numbers at every door (``settlements.bills``)."""
        return number_checked(self.cleaned_data.get(name) or "", str(self.fields[name].label))

    def clean_hospital_code(self) -> str:
        code = self._bill_number("hospital_code")
        if code and not self.from_platform:
            self.listed = institution_checked(code, label="医疗机构编码")  # 定点 or refused
        return code

    def clean_invoice_number(self) -> str:
        return self._bill_number("invoice_number")

    def clean_settlement_number(self) -> str:
        return self._bill_number("settlement_number")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        setl_id = (data.get("setl_id") or "").strip()
        if setl_id:
            return self._from_platform(setl_id, data)
        self.instance.source, self.instance.setl_id = "hand", ""
        listed = getattr(self, "listed", None)
        if listed is not None:  # the register's level, whatever was picked
            data["hospital_level"] = self.instance.hospital_level = listed.level
        for name in ("admitted_on", "discharged_on", "visit_on"):
            try:
                check_real_date(
                    data.get(name), label=str(self.fields[name].label), earliest=self.earliest
                )
            except ValidationError as exc:
                self.add_error(name, exc)
        return data

    def _from_platform(self, setl_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """The bill as the person's platform record gives it, whatever was typed over it."""
        found = platform_bill(setl_id, self.person_id)
        if isinstance(found, str):
            self.add_error("setl_id", found)
            return data
        for name in self.errors.copy():
            if name != "setl_id":
                del self.errors[name]  # a typed figure does not count: the record's does
        for name in FROM_PLATFORM:
            data[name] = found[name]
            setattr(self.instance, name, found[name])
        data["invoice_number"] = self.instance.invoice_number = ""
        self.instance.source, self.instance.setl_id = "platform", setl_id
        return data


class BaseExpenseFormSet(forms.BaseFormSet):
    default_error_messages = {
        "missing_management_form": "表单数据不完整，请刷新页面后重新填写。",
        "too_many_forms": "一份申请最多录入 %(num)d 笔费用；更多的费用请另建一份申请。",
        "too_few_forms": "至少录入 %(num)d 笔医疗费用。",
    }

    def expenses(self) -> list[MedicalExpense]:
        return [
            form.save(commit=False)
            for form in self.forms
            if form.has_changed() and not form.cleaned_data.get("DELETE")
        ]

    def clean(self) -> None:
        super().clean()
        if not any(
            f.has_changed() for f in self.forms if not getattr(f, "cleaned_data", {}).get("DELETE")
        ):
            raise ValidationError("至少录入一笔医疗费用。")


MAX_EXPENSES = 30  # bills on one application; a POST claiming more is refused, not built

ExpenseFormSet = forms.formset_factory(
    ExpenseForm,
    formset=BaseExpenseFormSet,
    extra=0,
    min_num=1,
    can_delete=True,
    max_num=MAX_EXPENSES,
    validate_max=True,
    absolute_max=MAX_EXPENSES,
)
