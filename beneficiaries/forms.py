from typing import Any

from django import forms

from .models import Department, IdentityImport


class ImportUploadForm(forms.Form):
    content = forms.ChoiceField(
        label="数据内容",
        choices=IdentityImport.Content.choices,
        initial=IdentityImport.Content.IDENTITIES,
        widget=forms.RadioSelect,
    )
    department = forms.ChoiceField(
        label="数据来源部门",
        choices=Department.choices,
        help_text="医院结算数据一律记为医疗保障部门。",
    )
    file = forms.FileField(
        label="数据文件",
        help_text="CSV 或 XLSX，第一行为列名；列的格式见页面下方说明。上传后先检查，确认无误再导入。",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("content") == IdentityImport.Content.HOSPITAL:
            data["department"] = Department.MEDICAL_INSURANCE
        return data


class DeathForm(forms.Form):
    """死亡减员 on a person's record."""

    died_on = forms.DateField(
        label="死亡日期",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
        error_messages={
            "required": "请填写死亡日期。",
            "invalid": "死亡日期无效：请按 2026-03-01 的格式填写，并核对这一天确实存在。",
        },
    )
    note = forms.CharField(
        label="信息来源",
        max_length=200,
        help_text="例如：死亡医学证明编号、家属告知、民政部门通报。",
        error_messages={"required": "请写明信息来源。"},
    )
