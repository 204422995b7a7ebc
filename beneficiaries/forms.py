from typing import Any

from django import forms

from .models import Department, IdentityImport

MEDICAL_INSURANCE_FILES = (
    IdentityImport.Content.HOSPITAL,
    IdentityImport.Content.PLATFORM,
    IdentityImport.Content.MEDINS,
)


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
        help_text="医院结算、医保平台结算数据和定点医药机构名录一律记为医疗保障部门。",
    )
    file = forms.FileField(
        label="数据文件",
        help_text="CSV 或 XLSX，第一行为列名（医保平台结算数据也可为平台接口返回的 JSON）；"
        "列的格式见页面下方说明。上传后先检查，确认无误再导入。",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.json"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("content") in MEDICAL_INSURANCE_FILES:
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


class ReferralForm(forms.Form):
    """转诊备案 at the window: the referral slip's number, where to, and for how long."""

    number = forms.CharField(
        label="备案号",
        max_length=40,
        help_text="医保平台的待遇申报明细流水号，或转诊单上的编号",
        error_messages={"required": "请填写备案号。"},
    )
    to_hospital = forms.CharField(
        label="转往医疗机构", max_length=100, error_messages={"required": "请填写转往的医疗机构。"}
    )
    to_code = forms.CharField(
        label="转往定点医药机构编号",
        max_length=30,
        required=False,
        help_text="如 H15010200001；有编号的按编号认定",
    )
    area_code = forms.CharField(
        label="就医地行政区划", max_length=6, help_text="6 位代码：呼和浩特 150100，北京 110000"
    )
    from_hospital = forms.CharField(label="转出医疗机构", max_length=100, required=False)
    valid_from = forms.DateField(
        label="有效期起",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
        error_messages={"required": "请填写有效期起。", "invalid": "有效期起不是有效日期。"},
    )
    valid_to = forms.DateField(
        label="有效期止",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
        error_messages={"required": "请填写有效期止。", "invalid": "有效期止不是有效日期。"},
    )
    reason = forms.CharField(label="转诊原因", max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control form-control-sm"


class ReferralFileForm(forms.Form):
    file = forms.FileField(
        label="转院备案文件",
        help_text="医保平台导出的转院备案记录（CSV 或 XLSX），列名用平台字段代码（trt_dcla_detl_sn、certno、"
        "reflin_medins_no、reflin_medins_name、mdtrtarea_admdvs、begndate、enddate 等）或中文名。",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
