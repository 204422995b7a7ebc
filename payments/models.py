"""Payment of approved assistance (发放): batches sent to the bank and their lines.

This floor stands above ``applications`` (a line pays a case) and below ``monitoring`` and the
shell. The tables kept the names they had in ``settlements`` (migration 0001 only moved the
models' state here; 0002 renamed the tables).
"""

from django.conf import settings
from django.db import models


class PaymentBatch(models.Model):
    """A batch of payments sent to the bank in one file (社会化发放)."""

    class State(models.TextChoices):
        OPEN = "open", "待导出"
        EXPORTED = "exported", "已导出，待银行回盘"
        CLOSED = "closed", "已完成"

    number = models.CharField("批次号", max_length=40, unique=True)
    county = models.ForeignKey(
        "areas.County", verbose_name="旗县区", on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="制表人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("制表时间", auto_now_add=True)
    exported_at = models.DateTimeField("导出时间", null=True, blank=True)

    class Meta:
        verbose_name = "发放批次"
        verbose_name_plural = "发放批次"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class Payment(models.Model):
    """One line of a batch: an approved case, its amount and the payee as they were sent.

    At most one line per case is pending or paid (a constraint): a case is never paid twice. A
    failed line stays as it was; after the account is corrected the case goes into a new batch."""

    class State(models.TextChoices):
        PENDING = "pending", "待银行结果"
        PAID = "paid", "已发放"
        FAILED = "failed", "发放失败"

    batch = models.ForeignKey(
        PaymentBatch, verbose_name="批次", on_delete=models.PROTECT, related_name="payments"
    )
    application = models.ForeignKey(
        "applications.Application",
        verbose_name="申请",
        on_delete=models.PROTECT,
        related_name="payments",
    )
    amount = models.DecimalField("金额", max_digits=14, decimal_places=2)
    payee_name = models.CharField("收款人", max_length=50)
    bank_name = models.CharField("开户银行", max_length=100)
    account_number = models.CharField("银行账号", max_length=40)
    state = models.CharField("状态", max_length=8, choices=State.choices, default=State.PENDING)
    paid_on = models.DateField("发放日期", null=True, blank=True)
    failure_reason = models.CharField("失败原因", max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField("登记时间", null=True, blank=True)

    class Meta:
        verbose_name = "发放明细"
        verbose_name_plural = "发放明细"
        ordering = ["batch_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(state__in=["pending", "paid"]),
                name="payment_one_live_line_per_case",
                violation_error_message="该申请已在发放中或已发放，不能重复发放。",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="payment_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch} {self.payee_name} {self.amount}"

    @property
    def masked_account(self) -> str:
        from beneficiaries.models import mask_account

        return mask_account(self.account_number)
