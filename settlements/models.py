"""Policies' later versions, the yearly ledger per person, and approved settlements."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from beneficiaries.models import Person
from core.formats import yuan
from core.states import Machine
from engine.categories import CATEGORIES
from engine.model import paid_by_assistance

ZERO = Decimal("0.00")


def _money(verbose_name: str) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, default=ZERO)


class PolicyVersion(models.Model):
    """Values of a policy's parameters in force from a date, added by the administrator.

    Version 1 of every policy is its shipped file (``settlements/policies/<code>.json``); rows here
    are versions 2, 3, … laid over it in order. Rows are never edited: a correction is a new version.
    """

    policy_code = models.CharField("政策", max_length=40)
    number = models.PositiveIntegerField("版本号")
    effective_from = models.DateField("生效日期")
    values = models.JSONField("参数取值", help_text="{参数名: 取值}，只含本版本改动的参数")
    source = models.CharField("依据（文件与条款）", max_length=200)
    basis = models.CharField(
        "依据类别",
        max_length=10,
        choices=[
            ("seed", "政策条款"),
            ("national", "国家法规"),
            ("local", "本地设定"),
            ("demo", "演示数据"),
        ],
        default="local",
    )
    decided_by = models.CharField(
        "决定机关", max_length=100, blank=True, help_text="本地设定由谁决定，如“市医保局”"
    )
    reason = models.TextField("说明", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="设置人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("设置时间", auto_now_add=True)

    class Meta:
        verbose_name = "政策版本"
        verbose_name_plural = "政策版本"
        ordering = ["policy_code", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy_code", "number"], name="policy_version_unique_number"
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=2), name="policy_version_number_after_shipped"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy_code} 第 {self.number} 版（{self.effective_from} 起）"


LEDGER_AMOUNTS = (
    "deductible_used", "assistance_used", "tilted_threshold_used", "tilted_used",
    "critical_burden", "critical_used", "personal_borne", "fund_used", "special_used",
    "special_in_cap", "deductible_used_outpatient", "assistance_used_outpatient",
    "deductible_used_chronic_outpatient", "assistance_used_chronic_outpatient",
)  # fmt: skip


class YearLedger(models.Model):
    """What a person has used of one year's deductibles, caps and thresholds (年度救助台账).

    Written only by ``settlements.ledger``, each write under the rows' lock: an approved settlement
    stored, a settlement revoked, recovered money, a hospital's one-stop record entered. A preview
    reads it and changes nothing.
    """

    person = models.ForeignKey(
        Person, verbose_name="救助对象", on_delete=models.PROTECT, related_name="ledgers"
    )
    year = models.PositiveSmallIntegerField("医疗年度")
    deductible_used = _money("已负担起付标准")
    assistance_used = _money("已获医疗救助")
    tilted_threshold_used = _money("已计入倾斜救助起付")
    tilted_used = _money("已获倾斜救助")
    critical_burden = _money("大病保险累计合规个人负担")
    critical_used = _money("已获大病保险")
    personal_borne = _money("个人已负担")
    fund_used = _money("已获暖心基金")
    # 一事一议: all of it, and the part in the yearly cap (also in ``assistance_used``)
    special_used = _money("已获一事一议救助")
    special_in_cap = _money("一事一议计入年度限额部分")
    # each outpatient kind's own deductible and sub-limit (its assistance also counts in
    # ``assistance_used``, the yearly cap all kinds share)
    deductible_used_outpatient = _money("已负担普通门诊起付标准")
    assistance_used_outpatient = _money("普通门诊已获救助")
    deductible_used_chronic_outpatient = _money("已负担门诊慢特病起付标准")
    assistance_used_chronic_outpatient = _money("门诊慢特病已获救助")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "年度救助台账"
        verbose_name_plural = "年度救助台账"
        constraints = [
            models.UniqueConstraint(fields=["person", "year"], name="ledger_one_per_person_year"),
            models.CheckConstraint(
                # every amount of the row (the Q sorts its terms: the same as listing them)
                condition=models.Q(**{f"{name}__gte": 0 for name in LEDGER_AMOUNTS}),
                name="ledger_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.year} 年度台账"


class Settlement(models.Model):
    """An approved settlement: the engine's result with a snapshot of its inputs and the policy.

    ``key`` names what was approved (e.g. ``application:2023…``); it is unique, so the same thing
    can never be settled twice, whatever the number of clicks, tabs or approvers.
    """

    key = models.CharField("结算对象", max_length=80, unique=True)
    person = models.ForeignKey(
        Person, verbose_name="救助对象", on_delete=models.PROTECT, related_name="settlements"
    )
    year = models.PositiveSmallIntegerField("医疗年度")
    policy_code = models.CharField("政策", max_length=40)
    policy_version = models.PositiveIntegerField("政策版本")
    identity = models.CharField("救助身份", max_length=20, blank=True)
    total = _money("总费用")
    basic = _money("基本医保")
    critical = _money("大病保险")
    assistance = _money("医疗救助")
    tilted = _money("倾斜救助")
    fund = _money("暖心基金")
    personal = _money("个人负担")
    inputs = models.JSONField("计算输入快照")
    result = models.JSONField("计算结果与说明")
    ledger_before = models.JSONField("台账（结算前）")
    ledger_after = models.JSONField("台账（结算后）")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审批人", on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField("审批时间", auto_now_add=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="撤销人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoke_reason = models.TextField("撤销理由", blank=True)
    recovered = _money("已追回")

    class Meta:
        verbose_name = "结算"
        verbose_name_plural = "结算"
        ordering = ["-approved_at"]
        indexes = [models.Index(fields=["person", "year"], name="settlement_person_year")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recovered__gte=0), name="settlement_recovered_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.key}"

    @property
    def live(self) -> bool:
        return self.revoked_at is None

    @property
    def unrecovered(self) -> Decimal:
        """What assistance paid and has not come back (追回)."""
        return self.paid_by_assistance - self.recovered

    @property
    def paid_by_assistance(self) -> Decimal:
        """What assistance pays (the engine's one sum, ``PAID_PARTS``)."""
        return paid_by_assistance(self)


class LedgerEntry(models.Model):
    """One bill in a person's yearly ledger: assisted at the window (an approved settlement) or at
    the hospital (一站式结算, from the hospitals' files). Every yuan of medical assistance a person
    receives is on exactly one live entry.

    The bill's keys (``settlements.bills``) are unique among live entries: the database refuses a
    second assistance of the same bill, whichever channel comes second and whatever the timing. An
    entry is released (``released_at``), never deleted, when its approval is revoked.
    """

    class Source(models.TextChoices):
        WINDOW = "window", "窗口申请"
        ONESTOP = "onestop", "医院一站式结算"
        SPECIAL = "special", "一事一议"

    person = models.ForeignKey(
        Person, verbose_name="救助对象", on_delete=models.PROTECT, related_name="ledger_entries"
    )
    year = models.PositiveSmallIntegerField("医疗年度")
    day = models.DateField("费用日期")
    source = models.CharField("来源", max_length=8, choices=Source.choices)
    settlement = models.ForeignKey(
        Settlement,
        verbose_name="窗口结算",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    record_key = models.CharField(
        "医院结算记录标识", max_length=64, blank=True, help_text="一站式结算记录的标识"
    )
    hospital = models.CharField("医疗机构", max_length=100)
    label = models.CharField("票据", max_length=200)
    invoice_key = models.CharField("发票键", max_length=80, blank=True)
    settlement_key = models.CharField("结算单键", max_length=80, blank=True)
    total = _money("医疗总费用")
    assistance = _money("医疗救助（含倾斜救助、暖心基金）")
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name="重复于",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="医院结算记录到达时，同一票据已在窗口获救助",
    )
    released_at = models.DateTimeField("释放时间", null=True, blank=True)
    created_at = models.DateTimeField("入账时间", auto_now_add=True)
    # A one-stop bill's tilted assistance (倾斜救助), which the hospital does not pay: due from the
    # moment it enters (reserved in the year's ledger, so the yearly cap holds over every channel),
    # paid by the settlement of a case the county opens (倾斜救助主动发现), or refused and given back.
    tilted_due = _money("应予倾斜救助（一站式结算未付）")
    tilted_lines = models.JSONField("倾斜救助计算说明", default=list, blank=True)
    tilted_settlement = models.ForeignKey(
        Settlement,
        verbose_name="倾斜救助结算",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tilted_entries",
    )
    tilted_refused_at = models.DateTimeField("不予倾斜救助时间", null=True, blank=True)
    tilted_refused_reason = models.CharField("不予倾斜救助原因", max_length=200, blank=True)
    # what entering a one-stop record moved in its year's ledger (field -> amount), so that the
    # platform's reversal (冲销) of the record takes exactly that back (``onestop_release``)
    moves = models.JSONField("台账变动", default=dict, blank=True)
    release_reason = models.CharField("释放原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "台账票据"
        verbose_name_plural = "台账票据"
        ordering = ["person_id", "day", "id"]
        indexes = [
            models.Index(fields=["person", "year", "day"], name="entry_person_year"),
            # plain indexes for the look-ups by key (a long IN list cannot prove a partial
            # index's condition, so the unique ones above serve only the uniqueness)
            models.Index(fields=["invoice_key"], name="entry_invoice_key"),
            models.Index(fields=["settlement_key"], name="entry_settlement_key"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice_key"],
                condition=models.Q(released_at__isnull=True) & ~models.Q(invoice_key=""),
                name="entry_invoice_assisted_once",
                violation_error_message="同一张发票已获救助（不得重复救助）。",
            ),
            models.UniqueConstraint(
                fields=["settlement_key"],
                condition=models.Q(released_at__isnull=True) & ~models.Q(settlement_key=""),
                name="entry_settlement_assisted_once",
                violation_error_message="同一结算单已获救助（不得重复救助）。",
            ),
            models.UniqueConstraint(
                fields=["record_key"],
                condition=~models.Q(record_key=""),
                name="entry_hospital_record_once",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(source="window", settlement__isnull=False)
                    | models.Q(source__in=["onestop", "special"], settlement__isnull=True)
                    & ~models.Q(record_key="")
                ),
                name="entry_source_has_its_origin",
            ),
            models.CheckConstraint(
                condition=models.Q(assistance__gte=0), name="entry_assistance_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(tilted_due__gte=0), name="entry_tilted_due_not_negative"
            ),
            # a due is paid by one settlement or refused, never both
            models.CheckConstraint(
                condition=models.Q(tilted_settlement__isnull=True)
                | models.Q(tilted_refused_at__isnull=True),
                name="entry_tilted_paid_or_refused",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.label}"

    @property
    def live(self) -> bool:
        return self.released_at is None


class FundSource(models.Model):
    """Where medical-assistance money comes from (资金来源): central, region, city and county funds,
    福彩公益金, donations. The list is data (the administrator adds one); ``position`` is the order
    in which the year's outlays draw on them in the statement (higher-level funds first)."""

    code = models.SlugField("代码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=40, unique=True)
    position = models.PositiveSmallIntegerField("列支顺序", default=0)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "救助资金来源"
        verbose_name_plural = "救助资金来源"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class FundAllocation(models.Model):
    """A county's medical-assistance budget for a year from one source (年度救助资金，分来源): the
    books' receipts. The county's budget is their sum (``settlements.funds``)."""

    county = models.ForeignKey(
        "areas.County",
        verbose_name="旗县区",
        on_delete=models.PROTECT,
        related_name="fund_allocations",
    )
    year = models.PositiveSmallIntegerField("年度")
    source = models.ForeignKey(
        FundSource, verbose_name="资金来源", on_delete=models.PROTECT, related_name="allocations"
    )
    amount = models.DecimalField("金额（元）", max_digits=14, decimal_places=2)
    note = models.CharField("文号或说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "年度救助资金"
        verbose_name_plural = "年度救助资金"
        ordering = ["county_id", "-year", "source__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "year", "source"],
                name="fund_one_per_county_year_source",
                violation_error_message="这一来源在本年度已有一笔，请修改那一笔。",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="fund_allocation_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.county} {self.year} 年{self.source} {yuan(self.amount)} 元"


class SubsidyRoster(models.Model):
    """A county's participation-subsidy roster for an enrolment year (分类资助参保名单), built from
    the registry (``settlements.subsidies.roster_build``) and kept current by building it again."""

    county = models.ForeignKey(
        "areas.County", verbose_name="旗县区", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("参保年度")
    policy_code = models.CharField("政策", max_length=40)
    policy_version = models.PositiveIntegerField("政策版本")
    built_at = models.DateTimeField("最近生成时间")
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="生成人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "资助参保名单"
        verbose_name_plural = "资助参保名单"
        ordering = ["county_id", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["county", "year"], name="roster_one_per_county_year")
        ]

    def __str__(self) -> str:
        return f"{self.county} {self.year} 年资助参保名单"


class Enrolment(models.TextChoices):
    """The tax office's (or the insurance agency's) answer for one person on a roster."""

    ENROLLED = "enrolled", "已参保"
    NOT_ENROLLED = "not_enrolled", "未参保"


def dead_before_year(prefix: str = "") -> models.Q:
    """Roster entries of people who died before the enrolment year began (the entry ends, by death,
    before the day it starts): nothing is owed, anything paid comes back. ``prefix`` reaches an
    entry from another model (``"entry__"``)."""
    return models.Q(
        **{f"{prefix}ended_by_death": True, f"{prefix}ended_on__lt": models.F(f"{prefix}joined_on")}
    )


class SubsidyEntry(models.Model):
    """One person on a roster: subsidised once (a unique key), under the category that gives most,
    from the day the identity counts in the year (people certified during the year join at once)
    to the day it ends (``ended_on``; the entry is kept, marked)."""

    roster = models.ForeignKey(
        SubsidyRoster, verbose_name="名单", on_delete=models.CASCADE, related_name="entries"
    )
    person = models.ForeignKey(
        Person, verbose_name="救助对象", on_delete=models.PROTECT, related_name="subsidies"
    )
    category = models.CharField("资助身份", max_length=16)
    contribution = _money("个人缴费标准")
    amount = _money("资助金额")
    joined_on = models.DateField("纳入日期")
    ended_on = models.DateField("身份终止日期", null=True, blank=True)
    ended_by_death = models.BooleanField("因死亡终止", default=False)
    lines = models.JSONField("计算说明", default=list)
    enrolment = models.CharField(
        "参保结果", max_length=12, choices=Enrolment.choices, blank=True, default=""
    )
    enrolment_reason = models.CharField("未参保原因", max_length=200, blank=True)
    enrolment_at = models.DateTimeField("结果登记时间", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "资助参保人员"
        verbose_name_plural = "资助参保人员"
        ordering = ["roster_id", "person_id"]
        constraints = [
            models.UniqueConstraint(fields=["roster", "person"], name="subsidy_once_per_person"),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0, contribution__gte=0)
                & models.Q(amount__lte=models.F("contribution")),
                name="subsidy_within_contribution",
            ),
            models.CheckConstraint(
                condition=~models.Q(enrolment="not_enrolled") | ~models.Q(enrolment_reason=""),
                name="subsidy_not_enrolled_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_by_death=False) | models.Q(ended_on__isnull=False),
                name="subsidy_death_has_date",
            ),
        ]
        indexes = [models.Index(fields=["enrolment", "roster"], name="subsidy_enrolment")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.amount}"

    @property
    def category_label(self) -> str:
        return CATEGORIES[self.category][0]

    @property
    def dead_before_year(self) -> bool:
        """Died before the enrolment year began: nothing is owed, anything paid comes back."""
        return self.ended_by_death and self.ended_on is not None and self.ended_on < self.joined_on


# The answer for one person on a roster: none yet, then the tax office's; a later result file may
# correct it either way (settlements.subsidies.roster_result_import writes it).
_ANSWERS = frozenset({"", Enrolment.ENROLLED, Enrolment.NOT_ENROLLED})
ENROLMENT_STATES = Machine(
    SubsidyEntry,
    "enrolment",
    {Enrolment.ENROLLED: _ANSWERS, Enrolment.NOT_ENROLLED: _ANSWERS},
    writer="settlements.subsidies",
    label="参保结果",
)
