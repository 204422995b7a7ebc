"""The administrator's form for a new policy version: one field per parameter, prefilled."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from core.widgets import DateInput
from engine import Basis, Kind, ParameterDef, Policy
from engine.categories import CATEGORIES
from engine.money import percent


def _initial(definition: ParameterDef, value: Any) -> Any:
    if value is None:
        return ""
    if definition.kind is Kind.AMOUNT:
        return f"{value:.2f}"
    if definition.kind is Kind.RATE:
        return percent(value)
    if definition.kind is Kind.SWITCH:
        return "on" if value else "off"
    if definition.kind is Kind.BRACKETS:
        return "\n".join(f"{b.start:.2f} {percent(b.rate)}" for b in value)
    if definition.kind is Kind.CATEGORIES:
        return [c for c in CATEGORIES if c in value]
    if definition.kind in (Kind.COUNT, Kind.MONTHS):
        return str(value)
    if definition.kind is Kind.FACTOR:
        return f"{value.normalize():f}"
    if definition.kind is Kind.COUNTY_AMOUNTS:
        return "\n".join(f"{code} {amount:.2f}" for code, amount in value.items())
    if definition.kind is Kind.SUBSIDY:
        words = {"full": "全额", "none": "不资助"}
        if value.kind in words:
            return words[value.kind]
        if value.kind == "fixed":
            return f"定额 {value.amount:.2f}" if value.amount is not None else "定额"
        floor = f" 至少 {value.floor:.2f}" if value.floor is not None else ""
        return f"比例 {percent(value.rate)}{floor}"
    return value  # pragma: no cover


def _field(definition: ParameterDef, initial: Any) -> forms.Field:
    label = f"{definition.label}（{definition.name}）"
    if definition.kind is Kind.SWITCH:
        return forms.ChoiceField(
            label=label, choices=[("on", "启用"), ("off", "不启用")], initial=initial
        )
    if definition.kind is Kind.CATEGORIES:
        return forms.MultipleChoiceField(
            label=label,
            choices=[(c, v[1]) for c, v in CATEGORIES.items()],
            initial=initial,
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
    if definition.kind is Kind.BRACKETS:
        return forms.CharField(
            label=label,
            initial=initial,
            widget=forms.Textarea(attrs={"rows": 4}),
            help_text="每行一档：起点金额 比例，如“16000.00 60%”",
        )
    if definition.kind is Kind.COUNTY_AMOUNTS:
        return forms.CharField(
            label=label,
            initial=initial,
            required=False,
            widget=forms.Textarea(attrs={"rows": 4}),
            help_text="每行一个旗县区：6 位旗县区代码 金额（元/人·年），如“150102 10800.00”",
        )
    help_text = {
        Kind.AMOUNT: "元，最多两位小数" + ("；留空表示不设上限" if definition.nullable else ""),
        Kind.RATE: "如 70% 或 0.70",
        Kind.COUNT: "整数",
        Kind.MONTHS: "整数（月）" + ("；留空表示不限" if definition.nullable else ""),
        Kind.FACTOR: "倍数，如 1.5",
        Kind.SUBSIDY: "全额 / 定额 140.00 / 定额（按下限）/ 比例 50%（可加“至少 100.00”）/ 不资助",
    }[definition.kind]
    return forms.CharField(label=label, initial=initial, required=False, help_text=help_text)


class PolicyVersionForm(forms.Form):
    effective_from = forms.DateField(
        label="生效日期",
        widget=DateInput(),
        help_text="新取值从这一天起适用；此前的费用仍按原取值结算。",
    )
    source = forms.CharField(label="依据（文件名与条款）", max_length=200)
    basis = forms.ChoiceField(
        label="依据类别",
        choices=[(b.value, b.label) for b in Basis],
        initial=Basis.LOCAL.value,
        help_text="政策条款：市里的方案写明了这个数；国家法规：写明法规名称与条款；"
        "本地设定：方案未规定，由本地决定（须写决定机关）；演示数据：仅供演示，不能用于真实发放。",
    )
    decided_by = forms.CharField(label="决定机关（本地设定时必填）", max_length=100, required=False)
    reason = forms.CharField(label="说明", widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, policy: Policy, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.policy = policy
        latest = policy.at(date.max)
        values = latest.as_dict()
        self.fields["effective_from"].initial = today
        self.sections: list[tuple[str, list[str]]] = []
        for definition in policy.parameters.values():
            key = f"p__{definition.name}"
            self.fields[key] = _field(definition, _initial(definition, values.get(definition.name)))
            if not self.sections or self.sections[-1][0] != definition.section:
                self.sections.append((definition.section, []))
            self.sections[-1][1].append(key)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("basis") == Basis.LOCAL and not str(data.get("decided_by", "")).strip():
            self.add_error("decided_by", "本地设定须写明决定机关（如“市医保局”），以便日后查证。")
        return data

    def grouped_fields(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(section, [self[key] for key in keys]) for section, keys in self.sections]

    def raw_value(self, definition: ParameterDef, value: Any) -> Any:
        """The typed text as the engine's parameter parser expects it."""
        if definition.kind is Kind.SWITCH:
            return value == "on"
        if definition.kind is Kind.CATEGORIES:
            return list(value)
        if definition.kind is Kind.BRACKETS:
            rows = [line.split() for line in str(value).splitlines() if line.strip()]
            return [row if len(row) == 2 else [" ".join(row), ""] for row in rows]
        if definition.kind is Kind.COUNTY_AMOUNTS:
            rows = [line.split() for line in str(value).splitlines() if line.strip()]
            return {row[0]: " ".join(row[1:]) for row in rows} if rows else None
        text = str(value).strip()
        return None if text == "" else text

    def changed_values(self) -> dict[str, Any]:
        """The parameters whose value differs from the one in force on the effective date.

        Call after ``is_valid()``; a value that cannot be parsed becomes an error on its field."""
        current = self.policy.at(self.cleaned_data["effective_from"]).as_dict()
        changed: dict[str, Any] = {}
        for name, definition in self.policy.parameters.items():
            raw = self.raw_value(definition, self.cleaned_data[f"p__{name}"])
            if raw is None and name not in current:
                continue  # still unset
            try:
                parsed = definition.parse(raw)
            except ValueError as exc:
                self.add_error(f"p__{name}", str(exc))
                continue
            if name not in current or current[name] != parsed:
                changed[name] = raw
        return changed
