"""What a case says to people: the clerk's inbox, the applicant's SMS, letters, the working-day
calendar, and the 因病致贫 pre-check kept with the case."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.states import Machine
from engine.money import fen

from . import private_storage
from .case import Application
from .choices import ZERO


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
