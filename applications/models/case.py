"""The application (救助申请) itself: who, which identity, the state, the promise, the decision."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from beneficiaries.idnumber import mask
from beneficiaries.models import HardshipIdentity, IdentityClaim, Person, mask_account
from core.crypto import EncryptedCharField
from engine.categories import CATEGORIES

from .choices import (
    FINAL_STATES,
    ZERO,
    AgentKind,
    OnestopReason,
    Origin,
    PromiseStatus,
    Recommendation,
    RejectionReason,
    Status,
)


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
    origin = models.CharField(
        "案件来源", max_length=8, choices=Origin.choices, default=Origin.WINDOW
    )
    # the one-stop ledger entries whose tilted assistance this case settles (origin TILTED)
    tilted_entries = models.JSONField("倾斜救助票据（台账）", default=list, blank=True)
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
