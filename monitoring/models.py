"""Hospital settlement records, yearly burdens, warnings and their follow-up.

Money is yuan to the fen (``Decimal``). A person's yearly burden is rebuilt by
``recompute.monitoring_recompute`` from the expenses the portal holds; warnings are keyed by
(person, year, list), so a second run can only update a warning, never add a second one.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from applications.models import HospitalLevel, Kind
from beneficiaries.models import Category, Person
from core.states import Machine

from .agenda_models import Agenda, AgendaItem  # noqa: F401  (多部门会商, in its own module)


def _money(label: str) -> models.DecimalField:
    return models.DecimalField(label, max_digits=14, decimal_places=2, default=Decimal("0.00"))


class PlatformCode(models.Model):
    """A region's own code of the national medical-insurance platform's code tables (``med_type``,
    ``insutype``, ``psn_type``, ``psn_cert_type``, ``fund_pay_type``), with its Chinese name: added
    to (or overriding) the codes shipped in ``monitoring/platform/codes.json``
    (``platform.code_tables``). ``meaning`` is what the portal reads in it: a med_type's kind of
    care, a fund_pay_type's layer (basic / critical / assistance / other), a psn_cert_type's
    "id_card"."""

    class Table(models.TextChoices):
        MED_TYPE = "med_type", "医疗类别（med_type）"
        INSUTYPE = "insutype", "险种类型（insutype）"
        PSN_TYPE = "psn_type", "人员类别（psn_type）"
        PSN_CERT_TYPE = "psn_cert_type", "人员证件类型（psn_cert_type）"
        FUND_PAY_TYPE = "fund_pay_type", "基金支付类型（fund_pay_type）"

    table = models.CharField("代码表", max_length=16, choices=Table.choices)
    code = models.CharField("代码", max_length=10)
    name = models.CharField("名称", max_length=60)
    meaning = models.CharField("本系统的对应", max_length=20, blank=True)

    class Meta:
        verbose_name = "医保平台代码"
        verbose_name_plural = "医保平台代码"
        ordering = ["table", "code"]
        constraints = [models.UniqueConstraint(fields=["table", "code"], name="platform_code_once")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Records(models.QuerySet["HospitalSettlement"]):
    def with_setl_ids(self, setl_ids: list[str]) -> Records:
        """By the platform's settlement IDs, through the unique index (which holds only records
        that have one: the query says so, or PostgreSQL reads the whole table)."""
        return self.filter(setl_id__in=setl_ids).exclude(setl_id="")


class LiveRecords(models.Manager["HospitalSettlement"]):
    """The records in force: a record the platform reversed (冲销/退费) counts nowhere."""

    def get_queryset(self) -> Records:
        return Records(self.model, using=self._db).filter(reversed_at__isnull=True)


class HospitalSettlement(models.Model):
    """One expense settled at the hospital (一站式结算), as the platform's settlement record
    (``setlinfo``, keyed by ``setl_id``) or the hospital's simple file gives it. ``objects`` are the
    records in force; ``all_records`` also the reversed ones."""

    class Origin(models.TextChoices):
        PLATFORM = "platform", "医保平台结算数据"
        HOSPITAL = "hospital", "医院结算数据（简表）"

    person = models.ForeignKey(
        Person, verbose_name="就诊人", on_delete=models.PROTECT, related_name="hospital_settlements"
    )
    record_key = models.CharField(
        "结算记录标识",
        max_length=64,
        unique=True,
        help_text="医院结算单号；没有单号时由就诊人、医院、日期、类别和金额生成，重复导入不会重复计入",
    )
    settlement_number = models.CharField("结算单号", max_length=60, blank=True)
    hospital = models.CharField("医疗机构", max_length=100)
    hospital_code = models.CharField("医疗机构编码", max_length=30, blank=True)
    invoice_number = models.CharField("发票号（电子票据号）", max_length=40, blank=True)
    invoice_key = models.CharField("发票键", max_length=80, blank=True, db_index=True)
    settlement_key = models.CharField("结算单键", max_length=80, blank=True, db_index=True)
    hospital_level = models.CharField("医院等级", max_length=6, choices=HospitalLevel.choices)
    kind = models.CharField("费用类别", max_length=20, choices=Kind.choices)
    category = models.CharField(
        "结算时困难身份", max_length=16, choices=Category.choices, blank=True
    )
    admitted_on = models.DateField("入院日期", null=True, blank=True)
    day = models.DateField("结算日期", help_text="住院为出院日期，门诊为就诊日期")
    total = models.DecimalField("医疗总费用", max_digits=12, decimal_places=2)
    policy_scope = models.DecimalField("政策范围内费用", max_digits=12, decimal_places=2)
    basic_paid = models.DecimalField("基本医保支付", max_digits=12, decimal_places=2)
    critical_paid = models.DecimalField("大病保险支付", max_digits=12, decimal_places=2)
    assistance_paid = models.DecimalField(
        "医疗救助支付", max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    out_of_list = models.DecimalField("目录外费用", max_digits=12, decimal_places=2)
    source_import = models.ForeignKey(
        "beneficiaries.IdentityImport",
        verbose_name="来源批次",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField("导入时间", auto_now_add=True, db_index=True)
    origin = models.CharField("来源", max_length=8, choices=Origin.choices, db_default="hospital")
    # the platform's own identifiers and codes, as its record gives them
    setl_id = models.CharField("结算ID（setl_id）", max_length=30, blank=True, db_default="")
    mdtrt_id = models.CharField("就诊ID（mdtrt_id）", max_length=30, blank=True, db_default="")
    psn_no = models.CharField("人员编号（psn_no）", max_length=30, blank=True, db_default="")
    med_type = models.CharField("医疗类别（med_type）", max_length=10, blank=True, db_default="")
    insutype = models.CharField("险种类型（insutype）", max_length=10, blank=True, db_default="")
    psn_type = models.CharField("人员类别（psn_type）", max_length=10, blank=True, db_default="")
    hospital_listed = models.BooleanField(
        "在定点医药机构名录中", db_default=True, help_text="历史记录的医疗机构编码不在名录中时标记"
    )
    # the platform's amounts and fund lines beyond the columns above (field code -> value)
    platform = models.JSONField(
        "平台结算字段", default=dict, db_default=models.Value("{}"), blank=True
    )
    reversed_at = models.DateTimeField("冲销时间", null=True, blank=True)
    reversed_by = models.CharField("冲销结算ID", max_length=30, blank=True, db_default="")
    reversal_reason = models.CharField("冲销说明", max_length=200, blank=True, db_default="")

    all_records = Records.as_manager()
    objects = LiveRecords()

    class Meta:
        default_manager_name = "all_records"
        verbose_name = "医院结算记录"
        verbose_name_plural = "医院结算记录"
        ordering = ["person_id", "day", "id"]
        indexes = [
            models.Index(fields=["person", "day"], name="hospset_person_day"),
            models.Index(fields=["day", "hospital"], name="hospset_day_hospital"),
        ]
        constraints = [
            # one record per platform settlement, whichever door it came through
            models.UniqueConstraint(
                fields=["setl_id"], condition=~Q(setl_id=""), name="hospset_setl_id_once"
            ),
            models.CheckConstraint(
                name="hospset_amounts_not_negative",
                condition=Q(
                    total__gte=0,
                    policy_scope__gte=0,
                    basic_paid__gte=0,
                    critical_paid__gte=0,
                    assistance_paid__gte=0,
                    out_of_list__gte=0,
                ),
            ),
            models.CheckConstraint(
                name="hospset_scope_within_total", condition=Q(policy_scope__lte=F("total"))
            ),
            models.CheckConstraint(
                name="hospset_paid_within_total",
                condition=Q(total__gte=F("basic_paid") + F("critical_paid") + F("assistance_paid")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hospital} {self.get_kind_display()} {self.day} {self.total} 元"

    @property
    def personal_burden(self) -> Decimal:
        """What the person bore after basic and critical-illness insurance."""
        return self.total - self.basic_paid - self.critical_paid


class BurdenYear(models.Model):
    """A person's medical year, summed from hospital records and the applications' bills."""

    person = models.ForeignKey(
        Person, verbose_name="救助对象", on_delete=models.CASCADE, related_name="burden_years"
    )
    township = models.ForeignKey(
        "areas.Township", verbose_name="乡镇（街道）", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("医疗年度")
    category = models.CharField(
        "年内困难身份", max_length=16, choices=Category.choices, blank=True,
        help_text="年内有效的最优身份；空表示年内没有困难身份",
    )  # fmt: skip
    expenses = models.PositiveIntegerField("费用笔数", default=0)
    total = _money("医疗总费用")
    policy_scope = _money("政策范围内费用")
    insurance_paid = _money("基本医保和大病保险支付")
    assistance_paid = _money("医疗救助支付")
    burden_after_insurance = _money("经基本医保、大病保险后个人负担")
    burden_after_assistance = _money("经医疗救助后个人负担")
    special_paid = _money("一事一议救助")
    other_help = _money("他方帮扶（临时救助、慈善等）")
    burden_after_help = _money("经各方帮扶后个人负担")
    computed_at = models.DateTimeField("计算时间")

    class Meta:
        verbose_name = "年度医疗负担"
        verbose_name_plural = "年度医疗负担"
        constraints = [
            models.UniqueConstraint(fields=["person", "year"], name="burden_one_per_person_year")
        ]
        indexes = [models.Index(fields=["year", "township"], name="burden_year_township")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.year} 年负担 {self.burden_after_insurance}"


class WarningList(models.TextChoices):
    INCOME = "income", "因病致贫返贫预警"
    CAP = "cap", "负担封顶线预警"


class WarningLevel(models.TextChoices):
    # the income list (seed 001 §五(一))
    RETURN = "return", "因病返贫监测"
    POVERTY = "poverty", "因病致贫监测"
    # the cap list (seed 004 二(四)11)
    PERSON_CAP = "person_cap", "个人负担超封顶线"
    HOUSEHOLD_CAP = "household_cap", "家庭负担超封顶线"


LEVEL_RANK = {
    WarningLevel.RETURN: 1,
    WarningLevel.POVERTY: 2,
    WarningLevel.PERSON_CAP: 1,
    WarningLevel.HOUSEHOLD_CAP: 2,
}


class WarningStatus(models.TextChoices):
    OPEN = "open", "待跟进"
    CONTACTED = "contacted", "已联系"
    APPLIED = "applied", "已发起申请"
    CLOSED = "closed", "已办结"


OPEN_STATUSES = (WarningStatus.OPEN, WarningStatus.CONTACTED)


class CloseReason(models.TextChoices):
    ASSISTED = "assisted", "已纳入救助或已获帮扶"
    COVERED = "covered", "已有困难身份，负担已由救助化解"
    NOT_NEEDED = "not_needed", "经核实，家庭经济状况无需救助"
    DECLINED = "declined", "本人不愿申请"
    UNREACHABLE = "unreachable", "多次联系不上"
    MOVED = "moved", "已迁出本辖区或已去世"
    BELOW = "below", "负担回落到监测线以下（系统）"
    OTHER = "other", "其他"


class BurdenWarning(models.Model):
    """A warning (预警) for one person, year and list; the township follows it up."""

    # the way to its township and county, for accounts.access.scoped
    area_lookups = ("township_id", "township__county_id")

    person = models.ForeignKey(
        Person, verbose_name="监测对象", on_delete=models.CASCADE, related_name="warnings"
    )
    township = models.ForeignKey(
        "areas.Township", verbose_name="乡镇（街道）", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("医疗年度")
    list = models.CharField("名单", max_length=8, choices=WarningList.choices)
    level = models.CharField("预警类别", max_length=16, choices=WarningLevel.choices)
    priority = models.PositiveSmallIntegerField(
        "关注顺序",
        default=2,
        help_text="0 无困难身份、低保边缘、农村易返贫致贫人口；1 其他依申请身份；2 直接救助身份",
    )
    category = models.CharField("年内困难身份", max_length=16, choices=Category.choices, blank=True)
    burden = _money("个人负担")
    threshold = _money("监测线")
    status = models.CharField(
        "跟进状态", max_length=10, choices=WarningStatus.choices, default=WarningStatus.OPEN
    )
    close_reason = models.CharField(
        "办结原因", max_length=12, choices=CloseReason.choices, blank=True
    )
    application = models.ForeignKey(
        "applications.Application",
        verbose_name="发起的申请",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    raised_at = models.DateTimeField("预警时间")
    escalated_at = models.DateTimeField("升级时间", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "因病致贫返贫预警"
        verbose_name_plural = "因病致贫返贫预警"
        ordering = ["priority", "-burden", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "year", "list"], name="warning_one_per_person_year_list"
            ),
            models.CheckConstraint(
                name="warning_closed_has_reason",
                condition=~Q(status="closed") | ~Q(close_reason=""),
            ),
        ]
        indexes = [
            models.Index(
                fields=["township", "status", "priority", "-burden"], name="warning_township_queue"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person.name} {self.year} 年 {self.get_level_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class FollowUp(models.Model):
    """One step of the township's follow-up of a warning (主动发现、跟进帮扶)."""

    class Action(models.TextChoices):
        RAISED = "raised", "系统预警"
        ESCALATED = "escalated", "预警升级"
        CONTACT = "contact", "联系记录"
        APPLIED = "applied", "发起救助申请"
        CLOSED = "closed", "办结"
        REOPENED = "reopened", "重新跟进"

    class Method(models.TextChoices):
        PHONE = "phone", "电话"
        VISIT = "visit", "入户走访"
        WINDOW = "window", "来窗口"
        VILLAGE = "village", "村（社区）转达"

    warning = models.ForeignKey(
        BurdenWarning, verbose_name="预警", on_delete=models.CASCADE, related_name="follow_ups"
    )
    action = models.CharField("事项", max_length=10, choices=Action.choices)
    method = models.CharField("联系方式", max_length=8, choices=Method.choices, blank=True)
    contacted_on = models.DateField("联系日期", null=True, blank=True)
    note = models.CharField("说明", max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="经办人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "预警跟进记录"
        verbose_name_plural = "预警跟进记录"
        ordering = ["warning_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d}"


class MonitoringRun(models.Model):
    """One recompute of burdens and warnings: what it looked at and what it changed.

    The next incremental run looks at what changed since ``started_at`` of the last finished run.
    """

    class Scope(models.TextChoices):
        FULL = "full", "全量"
        INCREMENTAL = "incremental", "增量"

    scope = models.CharField("范围", max_length=12, choices=Scope.choices)
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    reason = models.CharField("原因", max_length=200, blank=True)
    people = models.PositiveIntegerField("重算人数", default=0)
    burden_rows = models.PositiveIntegerField("年度负担行数", default=0)
    raised = models.PositiveIntegerField("新增预警", default=0)
    escalated = models.PositiveIntegerField("升级预警", default=0)
    closed = models.PositiveIntegerField("自动办结", default=0)
    seconds = models.DecimalField("耗时（秒）", max_digits=10, decimal_places=2, default=0)
    message = models.CharField("说明", max_length=500, blank=True)

    class Meta:
        verbose_name = "监测重算"
        verbose_name_plural = "监测重算"
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} {self.started_at:%Y-%m-%d %H:%M}"


class MonthlyReport(models.Model):
    """医疗救助统计月报: a county's (or, without a county, the city's) figures for a month, kept as
    they were generated (``monitoring.monthly``); generated again only on request."""

    # the way to its township and county, for accounts.access.scoped
    area_lookups = ("county__townships", "county_id")

    city = models.ForeignKey(
        "areas.City", verbose_name="盟市", on_delete=models.PROTECT, related_name="+"
    )
    county = models.ForeignKey(
        "areas.County",
        verbose_name="旗县区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="空：全市汇总",
    )
    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("月份")
    figures = models.JSONField("报表数字")
    generated_at = models.DateTimeField("生成时间")
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="生成人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="空：每月第一个工作日自动生成",
    )

    class Meta:
        verbose_name = "医疗救助统计月报"
        verbose_name_plural = "医疗救助统计月报"
        ordering = ["-year", "-month", "city_id", "county_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "year", "month"],
                condition=Q(county__isnull=False),
                name="monthly_report_once_per_county",
            ),
            models.UniqueConstraint(
                fields=["city", "year", "month"],
                condition=Q(county__isnull=True),
                name="monthly_report_once_per_city",
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="monthly_report_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.county or self.city} {self.year} 年 {self.month} 月医疗救助统计月报"


_W = WarningStatus
# A warning's follow-up (target <- sources). monitoring.services writes it: the township's contact,
# close and application, and the nightly recompute's reopening and closing (warning_reopened,
# warning_closed_below), which the recompute saves with the rows it holds.
WARNING_STATES = Machine(
    BurdenWarning,
    "status",
    {
        _W.CONTACTED: frozenset({_W.OPEN, _W.CONTACTED}),
        _W.APPLIED: frozenset({_W.OPEN, _W.CONTACTED}),
        _W.CLOSED: frozenset({_W.OPEN, _W.CONTACTED}),  # with a reason; or below every line again
        _W.OPEN: frozenset({_W.CLOSED}),  # the burden crossed a line again
    },
    writer="monitoring.services",
    label="预警",
)
