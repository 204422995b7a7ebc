from django import forms

from .models import Department


class ImportUploadForm(forms.Form):
    department = forms.ChoiceField(label="数据来源部门", choices=Department.choices)
    file = forms.FileField(
        label="身份数据文件",
        help_text="CSV 或 XLSX，第一行为列名；列的格式见页面下方说明。上传后先检查，确认无误再导入。",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
