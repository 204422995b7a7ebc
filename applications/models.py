"""Applications (救助申请): intake at the township window, materials and the 7-day promise,
the state of the case, reminders and the applicant's notifications.

The state graph itself is in ``workflow.py``; every change goes through ``services.py``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from beneficiaries.idnumber import mask
from beneficiaries.models import HardshipIdentity, IdentityClaim, Person, mask_account
from core.crypto import EncryptedCharField
from core.states import Machine
from engine.categories import CATEGORIES
from engine.model import KINDS
from engine.money import fen
from settlements.bills import bill_keys, bill_label, invoice_key, settlement_key

from .materials import MATERIALS

ZERO = Decimal("0.00")


class Status(models.TextChoices):
    DRAFT = "draft", "暂存（未受理）"
    ACCEPTED = "accepted", "已受理"
    FORWARDED = "forwarded", "已转县级"
    IN_REVIEW = "in_review", "县级审核中"
    RETURNED = "returned", "退回补正"
    RECOMMENDED = "recommended", "待审批"
    NOTICE = "notice", "公示中"
    SECOND = "second", "待第二审批人审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "不予救助"
    PAID = "paid", "已发放"
    WITHDRAWN = "withdrawn", "已撤回"
    TERMINATED = "terminated", "已终止"
    REVOKED = "revoked", "已撤销批准"


# The states a case ends in, sorted (the same list in the queue's filter and in its partial indexes,
# so that PostgreSQL sees the filter imply the index); workflow.FINAL is the same set.
FINAL_STATES = ("paid", "rejected", "revoked", "terminated", "withdrawn")


class PromiseStatus(models.TextChoices):
    NONE = "none", "材料齐全"
    PENDING = "pending", "承诺补齐中"
    FULFILLED = "fulfilled", "已补齐"
    OVERDUE = "overdue", "承诺逾期"


class Kind(models.TextChoices):
    """Expense kinds: the engine's vocabulary (``engine.model.KINDS``)."""

    INPATIENT = "inpatient", KINDS["inpatient"]
    OUTPATIENT = "outpatient", KINDS["outpatient"]
    CHRONIC_OUTPATIENT = "chronic_outpatient", KINDS["chronic_outpatient"]


class HospitalLevel(models.TextChoices):
    TIER3 = "tier3", "三级"
    TIER2 = "tier2", "二级"
    TIER1 = "tier1", "一级及以下（基层）"


class Recommendation(models.TextChoices):
    APPROVE = "approve", "建议批准"
    REJECT = "reject", "建议不予救助"


class RejectionReason(models.TextChoices):
    NOT_ELIGIBLE = "not_eligible", "不属于医疗救助对象"
    IDENTITY_NOT_VALID = "identity_not_valid", "就医时困难身份尚未认定或已终止"
    OUT_OF_REGION = "out_of_region", "自治区外就医且未规范转诊"
    NOT_IN_SCOPE = "not_in_scope", "费用不属于医疗救助范围"
    CAP_REACHED = "cap_reached", "本年度救助已达最高限额"
    DUPLICATE = "duplicate", "同一费用已获救助（不得重复救助）"
    FALSE_MATERIALS = "false_materials", "申请材料不实"
    NOTHING_TO_PAY = "nothing_to_pay", "无可救助金额"
    OTHER = "other", "其他原因"


class RecoveryReason(models.TextChoices):
    """Why money paid is recovered (追回); the recovery itself is on the payment floor."""

    DUPLICATE = "duplicate", "重复救助"
    FALSE = "false", "虚假材料"
    AFTER_DEATH = "after_death", "死亡后发生"
    PROMISE = "promise", "承诺未兑现"
    OVER_CAP = "over_cap", "超出年度限额（医院结算记录后到）"
    OTHER = "other", "其他"


class OnestopReason(models.TextChoices):
    """Why a bill of a one-stop identity (policy ``intake.onestop_categories``) was not settled at
    the hospital and comes to the window (零星报销)."""

    ELSEWHERE = "elsewhere", "异地就医未直接结算"
    EMERGENCY = "emergency", "急诊（未能在定点医疗机构直接结算）"
    LATE_IDENTITY = "late_identity", "身份认定晚于出院（结算时尚无困难身份）"
    OTHER = "other", "其他"


class AgentKind(models.TextChoices):
    VILLAGE = "village", "村（社区）干部"
    CLINIC = "clinic", "基层医疗机构"
    RELATIVE = "relative", "亲属"
    OTHER = "other", "其他"


def private_storage() -> FileSystemStorage:
    """Scans and photos: under MEDIA_ROOT, which no URL serves; a view checks who may see them.

    A callable, so that migrations record the function and not one machine's path."""
    return FileSystemStorage(location=settings.MEDIA_ROOT / "private", base_url=None)


class Application(models.Model):
    # the way to its township and county, for accounts.access.scoped
    area_lookups = ("township_id", "county_id")
    number = models.CharField("申请编号", max_length=30, unique=True)
    person = models.ForeignKey(
        Person, verbose_name="申请人", on_delete=models.PROTECT, related_name="applications"
    )
    township = models.ForeignKey(
        "areas.Township",
        verbose_name="受理乡镇（街道）",
        on_delete=models.PROTECT,
        related_name="+",
    )
    county = models.ForeignKey(
        "areas.County", verbose_name="旗县区", on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(
        "申请救助身份", max_length=16, choices=[(c, v[0]) for c, v in CATEGORIES.items()]
    )
    identity = models.ForeignKey(
        HardshipIdentity,
        verbose_name="登记的困难身份",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="空表示身份库中尚无此身份，需提交身份证明",
    )
    identity_claim = models.ForeignKey(
        IdentityClaim,
        verbose_name="窗口登记的身份证明（待县级核验）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    onestop_reason = models.CharField(
        "未在医院直接结算的原因", max_length=16, choices=OnestopReason.choices, blank=True
    )
    onestop_note = models.CharField("原因说明", max_length=200, blank=True)
    contact_phone = models.CharField("联系电话（接收短信）", max_length=30, blank=True)
    agent_name = models.CharField("代办人姓名", max_length=50, blank=True)
    agent_id_number = EncryptedCharField("代办人身份证号", max_length=18, blank=True, mask=mask)
    agent_phone = models.CharField("代办人电话", max_length=30, blank=True)
    agent_kind = models.CharField(
        "代办人类别", max_length=10, choices=AgentKind.choices, blank=True
    )
    bank_name = models.CharField("开户银行", max_length=100, blank=True)
    bank_account_holder = models.CharField("账户户名", max_length=50, blank=True)
    bank_account_number = EncryptedCharField(
        "银行账号", max_length=40, blank=True, mask=mask_account
    )
    claimed_total = models.DecimalField(
        "医疗费用合计", max_digits=14, decimal_places=2, default=ZERO
    )
    status = models.CharField(
        "办理状态", max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    promise_status = models.CharField(
        "材料承诺", max_length=10, choices=PromiseStatus.choices, default=PromiseStatus.NONE
    )
    promise_due_on = models.DateField("承诺补齐期限", null=True, blank=True)
    promise_signed_at = models.DateTimeField("承诺签署时间", null=True, blank=True)
    promise_fulfilled_at = models.DateTimeField("材料补齐时间", null=True, blank=True)
    promise_extended_at = models.DateTimeField(
        "承诺延期时间", null=True, blank=True, help_text="批准后逾期未补齐，县级决定延期一次"
    )
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    accepted_on = models.DateField("受理日期", null=True, blank=True)
    forwarded_at = models.DateTimeField("转县级时间", null=True, blank=True)
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    paid_at = models.DateTimeField("发放时间", null=True, blank=True)
    told_at = models.DateTimeField("告知申请人时间", null=True, blank=True)
    step_due_on = models.DateField("本环节办结期限", null=True, blank=True)
    status_changed_at = models.DateTimeField("状态变更时间", default=timezone.now)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recommendation = models.CharField(
        "审核意见", max_length=8, choices=Recommendation.choices, blank=True
    )
    recommendation_note = models.TextField("审核意见说明", blank=True)
    notice_starts_on = models.DateField("公示开始", null=True, blank=True)
    notice_ends_on = models.DateField("公示截止", null=True, blank=True)
    first_approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="第一审批人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rejection_reason = models.CharField(
        "不予救助原因", max_length=20, choices=RejectionReason.choices, blank=True
    )
    rejection_note = models.TextField("不予救助说明", blank=True)
    settlement = models.OneToOneField(
        "settlements.Settlement",
        verbose_name="结算",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="application",
    )
    approved_amount = models.DecimalField(
        "批准救助金额", max_digits=14, decimal_places=2, null=True, blank=True
    )
    # what approving would pay, as last computed (each step of the case): the queue's column; the
    # case page always shows the live preview (settling.case_preview)
    estimated_amount = models.DecimalField(
        "测算救助金额", max_digits=14, decimal_places=2, null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="受理人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "救助申请"
        verbose_name_plural = "救助申请"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["township", "status", "-id"], name="app_township_status"),
            models.Index(fields=["county", "status", "step_due_on"], name="app_county_status_due"),
            models.Index(fields=["promise_status", "promise_due_on"], name="app_promise_due"),
            models.Index(fields=["township", "accepted_on"], name="app_township_accepted"),
            # the review queue's four orders, each within a county (keyset pages walk these)
            models.Index(fields=["county", "step_due_on", "id"], name="app_queue_due"),
            models.Index(fields=["county", "status_changed_at", "id"], name="app_queue_waited"),
            models.Index(fields=["county", "claimed_total", "id"], name="app_queue_amount"),
            models.Index(fields=["county", "id"], name="app_queue_newest"),
            # the same orders over the cases still open (未办结, the queue's default scope): a page
            # walks only open cases instead of skipping the paid and rejected years behind them
            models.Index(
                fields=["county", "status_changed_at", "id"],
                name="app_queue_open_waited",
                condition=~models.Q(status__in=FINAL_STATES),
            ),
            models.Index(
                fields=["county", "claimed_total", "id"],
                name="app_queue_open_amount",
                condition=~models.Q(status__in=FINAL_STATES),
            ),
            models.Index(
                fields=["county", "id"],
                name="app_queue_open_newest",
                condition=~models.Q(status__in=FINAL_STATES),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="app_promise_has_due_date",
                condition=Q(promise_status="none") | Q(promise_due_on__isnull=False),
            ),
            models.CheckConstraint(
                name="app_total_not_negative", condition=Q(claimed_total__gte=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.person.name}"

    def get_absolute_url(self) -> str:
        return reverse("applications:detail", args=[self.number])

    @property
    def audit_area(self) -> tuple[int | None, int | None]:
        """Where the case's audit rows belong: its own township and county (no query)."""
        return self.township_id, self.county_id

    @property
    def has_agent(self) -> bool:
        return bool(self.agent_name)

    @property
    def masked_bank_account(self) -> str:
        return mask_account(self.bank_account_number)

    @property
    def masked_agent_id(self) -> str:
        return mask(self.agent_id_number) if self.agent_id_number else ""

    @property
    def category_label(self) -> str:
        return CATEGORIES[self.category][0]

    def promise_days_left(self, today: date) -> int | None:
        if self.promise_status not in (PromiseStatus.PENDING, PromiseStatus.OVERDUE):
            return None
        if self.promise_due_on is None:  # the constraint rules it out
            return None
        return (self.promise_due_on - today).days


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
    referred = models.BooleanField("规范转诊", default=False)
    admitted_on = models.DateField("入院日期", null=True, blank=True)
    discharged_on = models.DateField("出院日期", null=True, blank=True)
    visit_on = models.DateField("就诊日期", null=True, blank=True)
    total = models.DecimalField("医疗总费用", max_digits=12, decimal_places=2)
    policy_scope = models.DecimalField("政策范围内费用", max_digits=12, decimal_places=2)
    basic_paid = models.DecimalField("基本医保支付", max_digits=12, decimal_places=2)
    critical_paid = models.DecimalField("大病保险支付", max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = "医疗费用"
        verbose_name_plural = "医疗费用"
        ordering = ["application_id", "id"]
        indexes = [
            models.Index(fields=["invoice_key"], name="expense_invoice_key"),
            models.Index(fields=["settlement_key"], name="expense_settlement_key"),
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


def _upload_to(instance: Attachment, filename: str) -> str:
    return f"applications/{instance.application_id}/{instance.sha256[:16]}{instance.extension}"


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


class InboxMessage(models.Model):
    """A message in a clerk's in-portal inbox (reminders of promises due and overdue)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="收件人", on_delete=models.CASCADE, related_name="+"
    )
    application = models.ForeignKey(
        Application, verbose_name="申请", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField("类别", max_length=20)
    text = models.CharField("内容", max_length=300)
    for_day = models.DateField("提醒日期", null=True, blank=True)
    dedupe_key = models.CharField("去重键", max_length=80, unique=True)
    created_at = models.DateTimeField("时间", default=timezone.now)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "站内提醒"
        verbose_name_plural = "站内提醒"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="inbox_recipient_unread"),
            models.Index(fields=["application", "for_day"], name="inbox_application_day"),
        ]

    def __str__(self) -> str:
        return self.text


class Notification(models.Model):
    """A message to the applicant through the notification gateway (an outbox row).

    Written in the same transaction as what causes it; sent by a task right after commit, or by the
    periodic sweep if the broker was down. ``dedupe_key`` makes each message exist once."""

    class State(models.TextChoices):
        PENDING = "pending", "待发送"
        SENDING = "sending", "发送中"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"

    application = models.ForeignKey(
        Application, verbose_name="申请", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField("类别", max_length=20)
    phone = models.CharField("手机号", max_length=30)
    text = models.CharField("内容", max_length=500)
    dedupe_key = models.CharField("去重键", max_length=80, unique=True)
    state = models.CharField("状态", max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    claim = models.CharField("领取标记", max_length=40, blank=True)
    claimed_at = models.DateTimeField("领取时间", null=True, blank=True)
    last_error = models.CharField("错误", max_length=300, blank=True)
    backend = models.CharField("发送通道", max_length=60, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "短信通知"
        verbose_name_plural = "短信通知"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "created_at"], name="notification_state")]

    def __str__(self) -> str:
        return f"{self.kind} {self.masked_phone}"

    @property
    def masked_phone(self) -> str:
        p = self.phone
        return f"{p[:3]}****{p[-4:]}" if len(p) >= 11 else p


class CalendarDay(models.Model):
    """A day the administrator marks as a holiday or a make-up working day (调休上班)."""

    day = models.DateField("日期", unique=True)
    working = models.BooleanField("工作日", help_text="勾选：这天上班（如调休）；不勾选：这天放假")
    note = models.CharField("说明", max_length=60, blank=True)

    class Meta:
        verbose_name = "节假日调整"
        verbose_name_plural = "节假日调整"
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {'上班' if self.working else '放假'} {self.note}"


class Letter(models.Model):
    """A rendered document of a case (PDF), stored with its SHA-256 and a verification code.

    One letter per case, kind and version, held by the database: the receipt, the promise and the
    decision letters have one version each; each recovery notice of a case is the next version.
    Two renderings at once (the worker, and staff opening it) cannot both be kept: the second finds
    the first's row and uses it (``documents.letter_store``)."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "受理回执"
        PROMISE = "promise", "承诺书"
        APPROVAL = "approval", "审批通知书"
        REJECTION = "rejection", "不予救助告知书"
        REVOCATION = "revocation", "撤销救助决定书"
        RECOVERY = "recovery", "追回救助资金通知书"

    application = models.ForeignKey(
        Application, verbose_name="申请", on_delete=models.CASCADE, related_name="letters"
    )
    kind = models.CharField("文书", max_length=10, choices=Kind.choices)
    version = models.PositiveSmallIntegerField(
        "版次", default=1, help_text="同一申请同一种文书只有一份；追回通知书每次追回一个版次"
    )
    file = models.FileField("文件", storage=private_storage, upload_to="letters/")
    sha256 = models.CharField("SHA-256", max_length=64)
    code = models.CharField("验证码", max_length=12)
    size = models.PositiveIntegerField("大小（字节）")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="生成人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("生成时间", auto_now_add=True)

    class Meta:
        verbose_name = "文书"
        verbose_name_plural = "文书"
        ordering = ["application_id", "kind", "-created_at", "-id"]
        indexes = [
            models.Index(fields=["application", "kind", "-created_at"], name="letter_latest")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "kind", "version"], name="letter_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.get_kind_display()}"


class IllnessCheck(models.Model):
    """The window's pre-check of an applicant asking as 因病致贫重病患者 (呼和浩特实施方案 二(四)):
    the household's figures as declared, the four tests computed with the policy's dated
    parameters (``eligibility.illness_tests``), kept with the figures and clauses they used. The
    portal pre-screens; 民政 certifies, and its certification comes back through the identity import."""

    application = models.OneToOneField(
        Application, verbose_name="申请", on_delete=models.CASCADE, related_name="illness_check"
    )
    household_size = models.PositiveSmallIntegerField("家庭人口数")
    household_income = models.DecimalField(
        "家庭上年度总收入（元）", max_digits=12, decimal_places=2
    )
    extra_members = models.TextField(
        "身份库外的家庭成员（姓名、关系，每行一人）", blank=True, max_length=1000
    )
    hukou_local = models.BooleanField("具有本市户籍")
    rural = models.BooleanField("农村户籍（按农村低保标准）", default=False)
    assets_ok = models.BooleanField("家庭财产状况符合规定（已签署声明和核查授权书）")
    medical_burden = models.DecimalField(
        "本年度家庭个人负担医疗费用（经基本医保、大病保险后，元）", max_digits=12, decimal_places=2
    )
    tests = models.JSONField("四项条件的结果、数字与依据")
    passed = models.BooleanField("四项条件均符合")
    policy_version = models.PositiveIntegerField("政策版本")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="预审人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("预审时间", auto_now=True)
    sent_at = models.DateTimeField("报送民政时间", null=True, blank=True)

    class Meta:
        verbose_name = "因病致贫预审"
        verbose_name_plural = "因病致贫预审"
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="illness_check_size_positive", condition=Q(household_size__gte=1)
            ),
            models.CheckConstraint(
                name="illness_check_amounts_not_negative",
                condition=Q(household_income__gte=0, medical_burden__gte=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} 因病致贫预审（{'符合' if self.passed else '不符合'}）"

    @property
    def income_per_head(self) -> Decimal:
        return fen(self.household_income / self.household_size)

    @property
    def after_burden_per_head(self) -> Decimal:
        return fen(max(self.household_income - self.medical_burden, ZERO) / self.household_size)


_N = Notification.State
# A message's states (target <- sources); applications.services.notifications alone writes them.
NOTIFICATION_STATES = Machine(
    Notification,
    "state",
    {
        # claimed by one worker: a new one, a failed one due again, or one whose worker died
        _N.SENDING: frozenset({_N.PENDING, _N.FAILED, _N.SENDING}),
        _N.SENT: frozenset({_N.SENDING}),
        _N.FAILED: frozenset({_N.SENDING}),
    },
    writer="applications.services.notifications",
    label="短信",
)
