"""Payment of approved assistance (发放): batches sent to the bank and their lines.

This floor stands above ``applications`` (a line pays a case) and below ``monitoring`` and the
shell. The tables kept the names they had in ``settlements`` (migration 0001 only moved the
models' state here; 0002 renamed the tables).
"""

from django.conf import settings
from django.db import models

from applications.models import RecoveryReason
from beneficiaries.models import mask_account
from core.crypto import EncryptedCharField
from core.formats import yuan
from core.states import Machine


class PaymentBatch(models.Model):
    """A batch of payments sent to the bank in one file (社会化发放)."""

    # the way to its township and county, for accounts.access.scoped
    area_lookups = ("county__townships", "county_id")

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

    # the way to its township and county, for accounts.access.scoped
    area_lookups = ("batch__county__townships", "batch__county_id")

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
    # a 一事一议 decision's payment (relief.Deliberation) is its own line of the same case
    deliberation = models.ForeignKey(
        "relief.Deliberation",
        verbose_name="一事一议",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    amount = models.DecimalField("金额", max_digits=14, decimal_places=2)
    payee_name = models.CharField("收款人", max_length=50)
    bank_name = models.CharField("开户银行", max_length=100)
    account_number = EncryptedCharField("银行账号", max_length=40, mask=mask_account)
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
                condition=models.Q(state__in=["pending", "paid"], deliberation__isnull=True),
                name="payment_one_live_line_per_case",
                violation_error_message="该申请已在发放中或已发放，不能重复发放。",
            ),
            models.UniqueConstraint(
                fields=["deliberation"],
                condition=models.Q(state__in=["pending", "paid"], deliberation__isnull=False),
                name="payment_one_live_line_per_deliberation",
                violation_error_message="该一事一议已在发放中或已发放，不能重复发放。",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="payment_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch} {self.payee_name} {self.amount}"

    @property
    def masked_account(self) -> str:
        return mask_account(self.account_number)

    @property
    def reference(self) -> str:
        """The line's number in the bank file and its return: the case's, or the 一事一议's."""
        special = self.deliberation
        return special.number if special is not None else self.application.number


class AccountChange(models.Model):
    """A payee account added or corrected after acceptance, or a failed line's account confirmed
    unchanged: proposed with a reason and the bank document, in force only once a second person
    confirms it (the account is where money is most often diverted)."""

    # the way to its township and county, for accounts.access.scoped
    area_lookups = ("application__township_id", "application__county_id")

    class State(models.TextChoices):
        PROPOSED = "proposed", "待第二人确认"
        CONFIRMED = "confirmed", "已确认"
        REFUSED = "refused", "已退回"

    application = models.ForeignKey(
        "applications.Application",
        verbose_name="申请",
        on_delete=models.PROTECT,
        related_name="account_changes",
    )
    unchanged = models.BooleanField("账户不变（经核实无误）", default=False)
    bank_name = models.CharField("开户银行", max_length=100)
    holder = models.CharField("账户户名", max_length=50)
    account_number = EncryptedCharField("银行账号", max_length=40, mask=mask_account)
    old_account_number = EncryptedCharField(
        "原银行账号", max_length=40, blank=True, mask=mask_account
    )
    reason = models.CharField("理由", max_length=300)
    document = models.ForeignKey(
        "applications.Attachment",
        verbose_name="银行卡或一卡通扫描件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提出人", on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField("提出时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="确认人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("确认时间", null=True, blank=True)
    refuse_reason = models.CharField("退回理由", max_length=300, blank=True)

    class Meta:
        verbose_name = "收款账户变更"
        verbose_name_plural = "收款账户变更"
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(state="proposed"),
                name="account_change_one_open_per_case",
                violation_error_message="该申请已有一项待确认的账户变更。",
            ),
            models.CheckConstraint(
                condition=~models.Q(decided_by=models.F("proposed_by")),
                name="account_change_four_eyes",
                violation_error_message="账户变更须由另一人确认。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.get_state_display()}"

    @property
    def masked_account(self) -> str:
        return mask_account(self.account_number)


class Recovery(models.Model):
    """Money paid that must come back (追回): proposed (by an approver, or by the ledger when a
    hospital's record shows the same bill or a cap exceeded), confirmed by a second person with a
    written notice, and closed when the refund arrives; the ledger and the budget follow it."""

    # the way to its township and county, for accounts.access.scoped
    area_lookups = ("application__township_id", "application__county_id")

    Reason = RecoveryReason

    class State(models.TextChoices):
        PROPOSED = "proposed", "待复核"
        CONFIRMED = "confirmed", "已发追回通知，待退回"
        REFUNDED = "refunded", "已退回"
        CANCELLED = "cancelled", "不予追回"

    application = models.ForeignKey(
        "applications.Application",
        verbose_name="申请",
        on_delete=models.PROTECT,
        related_name="recoveries",
    )
    amount = models.DecimalField("追回金额", max_digits=14, decimal_places=2)
    reason = models.CharField("追回原因", max_length=12, choices=Reason.choices)
    note = models.TextField("说明")
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提出人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="空：由台账核对自动提出",
    )
    proposed_at = models.DateTimeField("提出时间", auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="复核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField("复核时间", null=True, blank=True)
    refunded_amount = models.DecimalField(
        "退回金额", max_digits=14, decimal_places=2, null=True, blank=True
    )
    refunded_on = models.DateField("退回日期", null=True, blank=True)
    refund_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_note = models.CharField("办结说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "救助资金追回"
        verbose_name_plural = "救助资金追回"
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="recovery_amount_positive"
            ),
            models.CheckConstraint(
                condition=~models.Q(confirmed_by=models.F("proposed_by")),
                name="recovery_four_eyes",
                violation_error_message="追回须由提出人以外的另一人复核。",
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__isnull=True)
                | models.Q(refunded_amount__gt=0, refunded_amount__lte=models.F("amount")),
                name="recovery_refund_within_amount",
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(state__in=["proposed", "confirmed"]),
                name="recovery_one_open_per_case",
                violation_error_message="该申请已有一项未办结的追回。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} 追回 {yuan(self.amount)} 元"


class SubsidyTransfer(models.Model):
    """The participation subsidy of a roster (or a monthly addition to it) transferred to the
    residents' insurance fund (资助资金划转): its people and total, prepared by one person and
    confirmed by another before it counts as transferred (four eyes, as for any payment)."""

    # the way to its township and county, for accounts.access.scoped
    area_lookups = ("county__townships", "county_id")

    class State(models.TextChoices):
        PREPARED = "prepared", "待复核"
        CONFIRMED = "confirmed", "已复核划转"
        CANCELLED = "cancelled", "已撤回"

    number = models.CharField("划转单号", max_length=40, unique=True)
    roster = models.ForeignKey(
        "settlements.SubsidyRoster",
        verbose_name="资助参保名单",
        on_delete=models.PROTECT,
        related_name="+",
    )
    county = models.ForeignKey(
        "areas.County", verbose_name="旗县区", on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.PREPARED)
    people = models.PositiveIntegerField("人数")
    total = models.DecimalField("划转金额（元）", max_digits=14, decimal_places=2)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="制单人", on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField("制单时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="复核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("复核时间", null=True, blank=True)
    transferred_on = models.DateField("划转日期", null=True, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "资助资金划转"
        verbose_name_plural = "资助资金划转"
        ordering = ["-prepared_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total__gt=0, people__gt=0), name="transfer_not_empty"
            ),
            models.CheckConstraint(
                condition=~models.Q(decided_by=models.F("prepared_by")),
                name="transfer_four_eyes",
                violation_error_message="资助资金划转须由制单人以外的另一人复核。",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="confirmed")
                | models.Q(decided_by__isnull=False, transferred_on__isnull=False),
                name="transfer_confirmed_has_checker",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {yuan(self.total)} 元"


class TransferLine(models.Model):
    """One person's subsidy in a transfer. A roster entry is in at most one live transfer (a
    unique key): one person, one payment (人费对应), whatever the timing."""

    transfer = models.ForeignKey(
        SubsidyTransfer, verbose_name="划转单", on_delete=models.CASCADE, related_name="lines"
    )
    entry = models.ForeignKey(
        "settlements.SubsidyEntry",
        verbose_name="名单人员",
        on_delete=models.PROTECT,
        related_name="transfer_lines",
    )
    amount = models.DecimalField("资助金额", max_digits=10, decimal_places=2)
    live = models.BooleanField("有效", default=True, help_text="划转单撤回后为否")

    class Meta:
        verbose_name = "划转明细"
        verbose_name_plural = "划转明细"
        ordering = ["transfer_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry"],
                condition=models.Q(live=True),
                name="transfer_person_once",
                violation_error_message="此人的资助已在另一张划转单中，不能重复划转。",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="transfer_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.transfer_id} {self.entry_id} {self.amount}"


# The state fields of this floor and their one writer each (core.states): target <- sources.
_B, _P, _A, _R, _T = (
    PaymentBatch.State,
    Payment.State,
    AccountChange.State,
    Recovery.State,
    SubsidyTransfer.State,
)
BATCH_STATES = Machine(
    PaymentBatch,
    "state",
    {
        _B.EXPORTED: frozenset({_B.OPEN}),  # the bank file was taken the first time
        _B.CLOSED: frozenset({_B.OPEN, _B.EXPORTED}),  # the bank's result for its last line
    },
    writer="payments.services",
    label="发放批次",
)
PAYMENT_STATES = Machine(
    Payment,
    "state",
    {_P.PAID: frozenset({_P.PENDING}), _P.FAILED: frozenset({_P.PENDING})},
    writer="payments.services",
    label="发放结果",
)
ACCOUNT_CHANGE_STATES = Machine(
    AccountChange,
    "state",
    {_A.CONFIRMED: frozenset({_A.PROPOSED}), _A.REFUSED: frozenset({_A.PROPOSED})},
    writer="payments.accounts",
    label="账户变更",
)
RECOVERY_STATES = Machine(
    Recovery,
    "state",
    {
        _R.CONFIRMED: frozenset({_R.PROPOSED}),  # the second person confirmed: the notice goes out
        _R.CANCELLED: frozenset({_R.PROPOSED}),  # 不予追回, with the reason
        _R.REFUNDED: frozenset({_R.CONFIRMED}),  # finance recorded the money back
    },
    writer="payments.recoveries",
    label="追回",
)
TRANSFER_STATES = Machine(
    SubsidyTransfer,
    "state",
    {_T.CONFIRMED: frozenset({_T.PREPARED}), _T.CANCELLED: frozenset({_T.PREPARED})},
    writer="payments.transfers",
    label="资助划转单",
)
