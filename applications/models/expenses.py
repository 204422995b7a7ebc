"""What a case holds: its medical bills, its checklist of materials with their scans, its history."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from settlements.bills import bill_keys, bill_label, invoice_key, settlement_key

from ..materials import MATERIALS
from . import _upload_to, private_storage
from .case import Application
from .choices import HospitalLevel, Kind


class MedicalExpense(models.Model):
    """One medical bill as on the hospital's settlement slip (结算单)."""

    application = models.ForeignKey(
        Application, verbose_name="申请", on_delete=models.CASCADE, related_name="expenses"
    )
    hospital = models.CharField("医疗机构", max_length=100)
    hospital_code = models.CharField(
        "医疗机构编码", max_length=30, blank=True, help_text="定点医疗机构编码，见发票或结算单"
    )
    invoice_number = models.CharField(
        "发票号（电子票据号）", max_length=40, blank=True, help_text="医疗收费票据号码"
    )
    settlement_number = models.CharField(
        "医保结算单号", max_length=60, blank=True, help_text="基本医保结算的，填结算单号"
    )
    invoice_key = models.CharField("发票键", max_length=80, blank=True, editable=False)
    settlement_key = models.CharField("结算单键", max_length=80, blank=True, editable=False)
    hospital_level = models.CharField("医院等级", max_length=6, choices=HospitalLevel.choices)
    kind = models.CharField("费用类别", max_length=20, choices=Kind.choices)
    in_region = models.BooleanField("自治区内就医", default=True)
    # 规范转诊 is decided by the referral register (beneficiaries.Referral) at every calculation;
    # a bill entered before the register keeps the answer recorded then (``referred_basis``)
    referred = models.BooleanField("规范转诊（旧记录的窗口勾选）", default=False)
    referred_basis = models.CharField(
        "规范转诊依据",
        max_length=10,
        choices=[("", "转诊备案"), ("checkbox", "旧记录：窗口勾选")],
        blank=True,
        default="",
    )
    admitted_on = models.DateField("入院日期", null=True, blank=True)
    discharged_on = models.DateField("出院日期", null=True, blank=True)
    visit_on = models.DateField("就诊日期", null=True, blank=True)
    total = models.DecimalField("医疗总费用", max_digits=12, decimal_places=2)
    policy_scope = models.DecimalField("政策范围内费用", max_digits=12, decimal_places=2)
    basic_paid = models.DecimalField("基本医保支付", max_digits=12, decimal_places=2)
    critical_paid = models.DecimalField("大病保险支付", max_digits=12, decimal_places=2)
    # where the bill's figures come from: the platform's settlement record (picked by its setl_id,
    # read-only) or typed from the paper slip (手工录入), checked when the platform's record arrives
    source = models.CharField(
        "来源",
        max_length=8,
        choices=[("hand", "手工录入"), ("platform", "医保平台结算记录")],
        default="hand",
    )
    setl_id = models.CharField("医保平台结算ID", max_length=30, blank=True)
    checked_at = models.DateTimeField("与平台记录核对时间", null=True, blank=True)
    checked_setl_id = models.CharField("核对的平台结算ID", max_length=30, blank=True)
    # [label, as typed, as the platform has it] for each figure that differs
    differences = models.JSONField("与平台记录的差异", default=list, blank=True)
    reversed_note = models.CharField(
        "平台冲销说明", max_length=200, blank=True, help_text="医保平台已冲销这笔结算时写明"
    )

    class Meta:
        verbose_name = "医疗费用"
        verbose_name_plural = "医疗费用"
        ordering = ["application_id", "id"]
        indexes = [
            models.Index(fields=["invoice_key"], name="expense_invoice_key"),
            models.Index(fields=["settlement_key"], name="expense_settlement_key"),
            # hand bills not yet checked against the platform's records (few: read per batch)
            models.Index(
                fields=["application"],
                condition=Q(source="hand", checked_at__isnull=True),
                name="expense_unchecked_hand",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="expense_amounts_not_negative",
                condition=Q(
                    total__gte=0, policy_scope__gte=0, basic_paid__gte=0, critical_paid__gte=0
                ),
            ),
            models.CheckConstraint(
                name="expense_scope_within_total",
                condition=Q(policy_scope__lte=F("total")),
                violation_error_message="政策范围内费用不能大于医疗总费用。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hospital} {self.get_kind_display()} {self.total} 元"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.set_keys()
        super().save(*args, **kwargs)

    def set_keys(self) -> None:
        """The bill's keys from its numbers (``settlements.bills``); ``save`` calls it."""
        self.invoice_key = invoice_key(self.hospital_code, self.invoice_number)
        self.settlement_key = settlement_key(self.settlement_number)

    @property
    def keys(self) -> list[str]:
        return bill_keys(self.hospital_code, self.invoice_number, self.settlement_number)

    @property
    def verified(self) -> bool:
        """The figures are the platform's: picked from its record, or typed and found equal."""
        return self.source == "platform" or (self.checked_at is not None and not self.differences)

    @property
    def bill_label(self) -> str:
        """The bill in words (``settlements.bills.bill_label``)."""
        return bill_label(self.hospital, self.day, self.invoice_number, self.settlement_number)

    @property
    def day(self) -> date | None:
        """The date the expense counts on: discharge for a stay, the visit otherwise."""
        return self.discharged_on if self.kind == Kind.INPATIENT else self.visit_on

    def clean(self) -> None:
        errors: dict[str, str] = {}
        today = timezone.localdate()
        if self.kind == Kind.INPATIENT:
            if self.admitted_on is None:
                errors["admitted_on"] = "住院费用须填写入院日期。"
            if self.discharged_on is None:
                errors["discharged_on"] = "住院费用须填写出院日期。"
            if self.admitted_on and self.discharged_on and self.discharged_on < self.admitted_on:
                errors["discharged_on"] = "出院日期不能早于入院日期。"
        elif self.kind and self.visit_on is None:
            errors["visit_on"] = "门诊费用须填写就诊日期。"
        for name in ("admitted_on", "discharged_on", "visit_on"):
            value = getattr(self, name)
            if value is not None and value > today:
                errors[name] = "日期不能晚于今天。"
        if None not in (self.total, self.policy_scope, self.basic_paid, self.critical_paid):
            if self.policy_scope > self.total:
                errors["policy_scope"] = "政策范围内费用不能大于医疗总费用。"
            elif self.basic_paid + self.critical_paid > self.total:
                errors["critical_paid"] = "基本医保与大病保险支付之和不能大于医疗总费用。"
        if errors:
            raise ValidationError(errors)


class Material(models.Model):
    application = models.ForeignKey(
        Application, verbose_name="申请", on_delete=models.CASCADE, related_name="materials"
    )
    code = models.CharField("材料", max_length=24, choices=list(MATERIALS.items()))
    received_at = models.DateTimeField("收到时间", null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="经办人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    late = models.BooleanField("受理后补交", default=False)

    class Meta:
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"
        ordering = ["application_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "code"], name="material_once_per_app")
        ]

    def __str__(self) -> str:
        return self.get_code_display()

    @property
    def received(self) -> bool:
        return self.received_at is not None


class Attachment(models.Model):
    """A scan or photo of a material: JPEG, PNG or PDF, checked by its content."""

    application = models.ForeignKey(
        Application, verbose_name="申请", on_delete=models.CASCADE, related_name="attachments"
    )
    material = models.CharField("材料", max_length=24, choices=list(MATERIALS.items()))
    file = models.FileField("文件", storage=private_storage, upload_to=_upload_to)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("类型", max_length=40)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "材料扫描件"
        verbose_name_plural = "材料扫描件"
        ordering = ["application_id", "id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def extension(self) -> str:
        return {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}.get(
            self.content_type, ""
        )


class ApplicationEvent(models.Model):
    """The case history: every transition and every material that arrived late."""

    application = models.ForeignKey(
        Application, verbose_name="申请", on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField("操作", max_length=30)
    label = models.CharField("说明", max_length=60)
    from_status = models.CharField("原状态", max_length=12, blank=True)
    to_status = models.CharField("新状态", max_length=12, blank=True)
    reason = models.TextField("理由", blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "办理记录"
        verbose_name_plural = "办理记录"
        ordering = ["application_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.label}"
