"""The forms of 梯次减负's pages: Chinese messages, nothing saved on a bad input."""

from __future__ import annotations

from django import forms

from core.forms import YuanField, check_real_date


class Yuan(YuanField):
    """An amount, its error saying what to type (the mistyped text is still in the box)."""

    def to_python(self, value: object) -> object:  # type: ignore[override]
        try:
            return super().to_python(value)
        except forms.ValidationError:
            raise forms.ValidationError(
                f"{self.label}格式不对：请填写元，最多两位小数，如 1200 或 1200.50。", code="amount"
            ) from None


class HandoffForm(forms.Form):
    body = forms.TypedChoiceField(label="转介单位", coerce=int, choices=())
    reason = forms.CharField(
        label="转介理由",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请写明转介理由。", "max_length": "转介理由最多 300 字。"},
    )
    asked = Yuan(label="建议帮扶金额（元，可不填）", required=False)

    def __init__(self, *args: object, bodies: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["body"].choices = bodies  # type: ignore[attr-defined]
        self.fields["body"].error_messages["invalid_choice"] = "请从名录中选择帮扶单位。"
        self.fields["body"].error_messages["required"] = "请选择帮扶单位。"


class AnswerForm(forms.Form):
    outcome = forms.ChoiceField(
        label="答复",
        choices=[("helped", "已帮扶"), ("refused", "不予帮扶")],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择答复：已帮扶或不予帮扶。"},
    )
    amount = Yuan(label="帮扶金额（元）", required=False)
    day = forms.DateField(
        label="帮扶日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "帮扶日期格式不对，应为 2026-03-01。"},
    )
    kind = forms.CharField(label="帮扶方式", max_length=60, required=False)
    reference = forms.CharField(label="单位业务编号（可不填）", max_length=60, required=False)
    refusal = forms.CharField(label="不予帮扶原因", max_length=200, required=False)

    def clean_day(self) -> object:
        day = self.cleaned_data.get("day")
        check_real_date(day, label="帮扶日期", earliest=None)
        return day


class SpecialForm(forms.Form):
    facts = forms.CharField(
        label="基本情况与理由",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请写明基本情况与理由。"},
    )
    members = forms.CharField(
        label="参会人员（姓名之间用顿号分开）",
        max_length=300,
        error_messages={"required": "请填写参会人员。"},
    )
    met_on = forms.DateField(
        label="议定日期",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "请填写议定日期。", "invalid": "议定日期格式不对。"},
    )
    amount = Yuan(label="议定救助金额（元）", error_messages={"required": "请填写议定金额。"})
    fund = forms.TypedChoiceField(label="列支资金", coerce=int, choices=())

    def __init__(self, *args: object, funds: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["fund"].choices = funds  # type: ignore[attr-defined]
        self.fields["fund"].error_messages["invalid_choice"] = "请选择列支资金。"

    def clean_met_on(self) -> object:
        day = self.cleaned_data.get("met_on")
        check_real_date(day, label="议定日期", earliest=None)
        return day


class EarlyUploadForm(forms.Form):
    institution = forms.CharField(
        label="报送医疗机构编号",
        max_length=20,
        error_messages={"required": "请填写报送医疗机构的定点医药机构编号。"},
    )
    file = forms.FileField(
        label="报送文件（CSV 或 XLSX，首行为字段名）",
        error_messages={"required": "请选择文件。"},
    )
