"""Forms of the township window: find the person, the intake, the expenses, the materials."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from beneficiaries.claims import Certificate, certificate_problems
from beneficiaries.idnumber import parse
from beneficiaries.models import Department, HardshipIdentity, Person, Relationship
from core.bank import account_number
from core.forms import YuanField, check_real_date
from core.widgets import DateInput
from engine.categories import CATEGORIES
from settlements.bills import number_checked

from .materials import MATERIALS
from .models import AgentKind, OnestopReason
from .services import Household, Intake
from .services.intake import INTAKE_FIELDS


class IdLookupForm(forms.Form):
    id_number = forms.CharField(
        label="申请人公民身份号码",
        max_length=30,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )

    def clean_id_number(self) -> str:
        return parse(self.cleaned_data["id_number"]).number


class PersonRegisterForm(forms.ModelForm):
    """Register a person on the spot when the registry does not know them yet."""

    class Meta:
        model = Person
        fields = ["name", "phone", "address"]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"})
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def identity_label(identity: HardshipIdentity) -> str:
    end = f"{identity.ended_on:%Y-%m-%d}" if identity.ended_on else "至今"
    return (
        f"{identity.get_category_display()}（{identity.certified_on:%Y-%m-%d} — {end}，"
        f"{identity.get_department_display()}，身份库已有）"
    )


class CertificateForm(forms.Form):
    """The certificate of an identity the registry lacks, as the applicant brought it (recorded,
    then verified by the county): on the intake form, and on the case page after a refusal."""

    cert_department = forms.ChoiceField(
        label="认定部门（证件上的）", choices=[("", "请选择"), *Department.choices], required=False
    )
    cert_number = forms.CharField(label="证件编号", max_length=60, required=False)
    cert_certified_on = forms.DateField(label="认定日期", required=False, widget=DateInput())
    cert_ended_on = forms.DateField(
        label="有效期至（证件未写可不填）", required=False, widget=DateInput()
    )

    def __init__(self, *args: Any, today: date, category: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.category = category  # the case's category (the intake form takes the chosen one)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.category:  # on its own: the certificate is what the form is for
            if not any(data.get(name) for name in self.CERT_FIELDS):
                raise ValidationError("请照证件填写认定部门、证件编号和认定日期。")
            self._clean_certificate(data, self.category)
        return data

    def certificate(self) -> Certificate:
        return self._certificate(self.cleaned_data, self.category)

    CERT_FIELDS = ("cert_department", "cert_number", "cert_certified_on", "cert_ended_on")

    def _clean_certificate(self, data: dict[str, Any], category: str) -> None:
        """A certificate is recorded only for an identity the registry lacks, and then whole."""
        if not category or not any(data.get(name) for name in self.CERT_FIELDS):
            return
        for name, label in (
            ("cert_department", "认定部门"),
            ("cert_number", "证件编号"),
            ("cert_certified_on", "认定日期"),
        ):
            if not data.get(name):
                self.add_error(name, f"登记身份证明须填写{label}。")
        try:
            check_real_date(data.get("cert_certified_on"), label="认定日期", earliest=None)
        except ValidationError as exc:
            self.add_error("cert_certified_on", exc)
        if any(name in self.errors for name in self.CERT_FIELDS):
            return
        problems = certificate_problems(self._certificate(data, category), today=self.today)
        for field, message in problems.items():
            self.add_error(
                {"department": "cert_department", "certificate_number": "cert_number"}.get(
                    field, f"cert_{field}" if field != "category" else "identity_choice"
                ),
                message,
            )

    @staticmethod
    def _certificate(data: dict[str, Any], category: str) -> Certificate:
        return Certificate(
            category=category,
            department=data["cert_department"],
            certificate_number=data["cert_number"].strip(),
            certified_on=data["cert_certified_on"],
            ended_on=data.get("cert_ended_on"),
        )


class IntakeForm(CertificateForm):
    identity_choice = forms.ChoiceField(label="救助身份", widget=forms.RadioSelect)
    contact_phone = forms.CharField(
        label="联系电话（接收短信提醒）",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    agent_name = forms.CharField(label="代办人姓名（没有可不填）", max_length=50, required=False)
    agent_id_number = forms.CharField(label="代办人身份证号", max_length=30, required=False)
    agent_phone = forms.CharField(label="代办人电话", max_length=30, required=False)
    agent_kind = forms.ChoiceField(
        label="代办人类别", choices=[("", "—"), *AgentKind.choices], required=False
    )
    bank_name = forms.CharField(label="开户银行", max_length=100, required=False)
    bank_account_holder = forms.CharField(label="账户户名", max_length=50, required=False)
    bank_account_number = forms.CharField(
        label="银行账号",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    onestop_reason = forms.ChoiceField(
        label="未在医院直接结算的原因",
        choices=[("", "请选择"), *OnestopReason.choices],
        required=False,
    )
    onestop_note = forms.CharField(label="原因说明", max_length=200, required=False)
    second_case_ack = forms.BooleanField(
        label="已向申请人核实另有在办申请，本次费用不同，仍予受理", required=False
    )

    def __init__(
        self,
        *args: Any,
        identities: list[HardshipIdentity],
        today: date,
        favourite: Any,
        onestop: frozenset[str] = frozenset(),
        open_cases: list[Any] | None = None,
        assisted: frozenset[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """``assisted``: the categories the city's policy assists (all when None); an identity of
        another category (重度残疾人 where only Dongying's insurance counts it) is not offered."""
        super().__init__(*args, today=today, **kwargs)
        self.onestop = onestop
        self.open_cases = open_cases or []
        if not self.open_cases:
            del self.fields["second_case_ack"]
        known = frozenset(CATEGORIES) if assisted is None else assisted
        valid = [i for i in identities if i.is_valid_on(today) and i.category in known]
        choices = [(f"id:{i.pk}", identity_label(i)) for i in valid]
        held = {i.category for i in valid}
        choices += [
            (f"cat:{code}", f"{label}（身份库无记录：登记证件，县级核验）")
            for code, (label, _short, _rank) in CATEGORIES.items()
            if code not in held and code in known
        ]
        self.fields["identity_choice"].choices = choices  # type: ignore[attr-defined]
        self.identities = {str(i.pk): i for i in valid}
        if favourite is not None and not self.is_bound:
            self.fields["identity_choice"].initial = f"id:{favourite.pk}"

    def clean_bank_account_number(self) -> str:
        value = self.cleaned_data["bank_account_number"].strip()
        return account_number(value) if value else ""

    def clean_agent_id_number(self) -> str:
        value = self.cleaned_data["agent_id_number"].strip()
        return parse(value).number if value else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("agent_name") and not data.get("agent_id_number"):
            self.add_error("agent_id_number", "有代办人时须填写代办人身份证号。")
        kind, _, value = str(data.get("identity_choice", "")).partition(":")
        self._clean_certificate(data, value if kind == "cat" else "")
        held = self.identities.get(value) if kind == "id" else None
        category = held.category if held is not None else value
        if category in self.onestop:
            if not data.get("onestop_reason"):
                self.add_error(
                    "onestop_reason",
                    "此身份的费用在定点医疗机构“一站式”结算；在窗口申请的，请选择未直接结算的原因。",
                )
            elif data["onestop_reason"] == OnestopReason.OTHER and not data.get("onestop_note"):
                self.add_error("onestop_note", "原因选“其他”时，请写明原因。")
        if self.open_cases and not data.get("second_case_ack"):
            self.add_error(
                "second_case_ack",
                "此人另有在办申请：请向申请人核实（同一费用不得重复申请），确需另行受理的请勾选。",
            )
        return data

    def intake(self) -> Intake:
        data = self.cleaned_data
        kind, _, value = data["identity_choice"].partition(":")
        identity = self.identities.get(value) if kind == "id" else None
        category = identity.category if identity else value
        certificate = (
            self._certificate(data, category)
            if identity is None and data.get("cert_number")
            else None
        )
        return Intake(
            category=category,
            identity=identity,
            onestop_reason=data.get("onestop_reason", ""),
            onestop_note=data.get("onestop_note", "").strip(),
            certificate=certificate,
            second_case_ack=bool(data.get("second_case_ack")),
            **{k: data[k] for k in INTAKE_FIELDS},
        )


def amount_field(label: str, **kwargs: Any) -> YuanField:
    """Yuan to the fen through the portal's one amount parser (``engine.money``)."""
    return YuanField(label=label, **kwargs)


class AcceptForm(forms.Form):
    """The checklist at the window: what was handed in, scans, and the promise."""

    promise_signed = forms.BooleanField(
        label="申请人已签署承诺书，承诺在期限内补齐未交材料", required=False
    )

    def __init__(self, *args: Any, codes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.codes = codes
        for code in codes:
            self.fields[f"got_{code}"] = forms.BooleanField(label=MATERIALS[code], required=False)
            self.fields[f"file_{code}"] = MultipleFileField(label="扫描件或照片")

    def rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(code, self[f"got_{code}"], self[f"file_{code}"]) for code in self.codes]

    def received(self) -> list[str]:
        return [code for code in self.codes if self.cleaned_data.get(f"got_{code}")]

    def files_by_material(self) -> dict[str, list[UploadedFile]]:
        return {
            code: self.cleaned_data[f"file_{code}"]
            for code in self.codes
            if self.cleaned_data.get(f"file_{code}")
        }


class ReceiveForm(forms.Form):
    files = MultipleFileField(label="扫描件或照片（可不传）")  # type: ignore[assignment]


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ExpenseCorrectionForm(forms.Form):
    """The reviewer's correction of an expense's numbers, amounts and flags, with the reason.
    The numbers go through the grammar of every door (``settlements.bills``); a number the form
    does not send is left as it is."""

    NUMBERS = ("hospital_code", "invoice_number", "settlement_number")

    hospital_code = forms.CharField(label="医疗机构编码", max_length=30, required=False)
    invoice_number = forms.CharField(label="发票号（电子票据号）", max_length=40, required=False)
    settlement_number = forms.CharField(label="医保结算单号", max_length=60, required=False)
    total = amount_field("医疗总费用（元）")
    policy_scope = amount_field("政策范围内费用（元）")
    basic_paid = amount_field("基本医保支付（元）")
    critical_paid = amount_field("大病保险支付（元）")
    in_region = forms.BooleanField(label="自治区内就医", required=False)
    reason = forms.CharField(label="更正理由", max_length=300)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in self.NUMBERS:
            if name in data:
                try:
                    data[name] = number_checked(data[name], str(self.fields[name].label))
                except ValidationError as exc:
                    self.add_error(name, exc)
        return data

    def values(self) -> dict[str, Any]:
        """The corrected values: every amount and flag, and the numbers the form sent."""
        sent = {name for name in self.NUMBERS if self.add_prefix(name) in self.data}
        return {
            k: v
            for k, v in self.cleaned_data.items()
            if k != "reason" and (k not in self.NUMBERS or k in sent)
        }


class IllnessCheckForm(forms.Form):
    """The window's 因病致贫 pre-check: the household as declared (prefilled from the registry)."""

    household_size = forms.IntegerField(label="家庭人口数（人）", min_value=1, max_value=30)
    household_income = amount_field(
        "家庭上年度总收入（元，全体成员合计）",
        help_text="按家庭收入和财产申报表填写；人均数在预审结果中给出。",
    )
    extra_members = forms.CharField(
        label="身份证号不详的家庭成员（姓名、关系，每行一人，可不填）",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    hukou_local = forms.BooleanField(label="申请人具有本市户籍（核对户口簿）", required=False)
    rural = forms.BooleanField(
        label="农村户籍（按农村低保标准比较；不勾选按城市低保标准）", required=False
    )
    assets_ok = forms.BooleanField(
        label="已签署家庭经济状况声明和核查委托授权书，申报的家庭财产符合规定", required=False
    )

    def household(self) -> Household:
        d = self.cleaned_data
        return Household(
            household_size=d["household_size"],
            household_income=d["household_income"],
            hukou_local=d["hukou_local"],
            rural=d["rural"],
            assets_ok=d["assets_ok"],
            extra_members=d.get("extra_members", ""),
        )


class MemberForm(forms.Form):
    """A household member added on the spot for the 因病致贫 pre-check."""

    member_name = forms.CharField(label="姓名", max_length=50)
    member_id_number = forms.CharField(label="公民身份号码", max_length=30)
    member_relationship = forms.ChoiceField(
        label="与户主关系",
        choices=[("", "请选择"), *[c for c in Relationship.choices if c[0] != Relationship.HEAD]],
    )


class IdentityDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="核验结果", choices=[("accept", "核验通过，登记入身份库"), ("refuse", "核验未通过")]
    )
    reason = forms.CharField(
        label="说明（未通过的须写明理由，窗口据此告知申请人）", max_length=300, required=False
    )


# the bill rows live in their own room; their names stay importable from here
from .expense_forms import (  # noqa: E402
    FROM_PLATFORM,
    MAX_EXPENSES,
    BaseExpenseFormSet,
    ExpenseForm,
    ExpenseFormSet,
)

__all__ = ["FROM_PLATFORM", "MAX_EXPENSES", "BaseExpenseFormSet", "ExpenseForm", "ExpenseFormSet"]
