"""梯次减负: what happens after the three layers (seed 001 §五(二), §七(三), §八(二); seed 004 2, 9).

- ``Body``: the other bodies that help (临时救助, 疾病应急救助, 慈善总会, 红十字会, 残联, 工会 …),
  data per city, each with its own key scoped to its own hand-offs;
- ``Handoff`` (转介): the county refers a family to a body, with the figures that justify it; the
  body answers within its working days: help given or refused;
- ``Help`` (他方帮扶): a yuan of another body's help, counted once (one answer per hand-off, one row
  per body reference) in burdens, rates and the overview;
- ``Deliberation`` (一事一议): the county's exceptional decision on a case, four eyes, paid through
  the usual batches (``payments`` stands above this floor and pays it);
- ``EarlyReport`` (医疗机构主动排摸): a hospital's report of an inpatient expected to cost much,
  seen by the person's township at once, closed by the settlement record when it arrives.

This floor stands above ``applications`` (a hand-off or a 一事一议 may start from a case) and below
``payments`` and ``monitoring``, which count and pay what it records.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from beneficiaries.models import Person
from core.crypto import EncryptedCharField
from core.states import Machine


def _money(label: str, *, null: bool = False) -> models.DecimalField:
    return models.DecimalField(label, max_digits=14, decimal_places=2, null=null, blank=null)


class Body(models.Model):
    """Another body that helps families after the three layers (帮扶单位), per city."""

    class Kind(models.TextChoices):
        TEMPORARY = "temporary", "临时救助（民政）"
        EMERGENCY = "emergency", "疾病应急救助（卫生健康）"
        CHARITY = "charity", "慈善救助（慈善总会）"
        RED_CROSS = "red_cross", "红十字会"
        DISABLED = "disabled", "残联"
        UNION = "union", "工会（困难职工帮扶）"
        VETERANS = "veterans", "退役军人事务"
        AGRICULTURE = "agriculture", "农业农村（低收入农户）"
        OTHER = "other", "其他"

    city = models.ForeignKey(
        "areas.City", verbose_name="城市", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("单位名称", max_length=100)
    kind = models.CharField("类别", max_length=12, choices=Kind.choices)
    contact = models.CharField("联系人及电话", max_length=100, blank=True)
    answer_days = models.PositiveSmallIntegerField(
        "答复时限（工作日）",
        default=10,
        help_text="本地设定：政策未规定他方答复转介的时限，由市医保部门与该单位商定",
    )
    active = models.BooleanField("启用", default=True)
    key_prefix = models.CharField("密钥前缀", max_length=8, blank=True)
    key_hash = models.CharField("密钥摘要", max_length=64, blank=True)

    class Meta:
        verbose_name = "帮扶单位"
        verbose_name_plural = "帮扶单位"
        ordering = ["city_id", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["city", "name"], name="body_name_once_per_city"),
            models.UniqueConstraint(
                fields=["key_hash"], condition=~Q(key_hash=""), name="body_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Handoff(models.Model):
    """A family referred to another body (转介), with the figures that justify it."""

    area_lookups = ("township_id", "county_id")

    class State(models.TextChoices):
        OPEN = "open", "待答复"
        HELPED = "helped", "已帮扶"
        REFUSED = "refused", "不予帮扶"
        WITHDRAWN = "withdrawn", "已撤回"

    class Origin(models.TextChoices):
        CASE = "case", "出院结算后无力支付（申请）"
        WARNING = "warning", "防贫监测（负担超监测线）"
        MEETING = "meeting", "多部门会商"

    number = models.CharField("转介编号", max_length=40, unique=True)
    person = models.ForeignKey(
        Person, verbose_name="救助对象", on_delete=models.PROTECT, related_name="handoffs"
    )
    township = models.ForeignKey(
        "areas.Township", verbose_name="乡镇（街道）", on_delete=models.PROTECT, related_name="+"
    )
    county = models.ForeignKey(
        "areas.County", verbose_name="旗县区", on_delete=models.PROTECT, related_name="+"
    )
    application = models.ForeignKey(
        "applications.Application",
        verbose_name="所涉申请",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handoffs",
    )
    body = models.ForeignKey(
        Body, verbose_name="转介单位", on_delete=models.PROTECT, related_name="handoffs"
    )
    origin = models.CharField("来源", max_length=8, choices=Origin.choices)
    year = models.PositiveSmallIntegerField("医疗年度")
    burden = _money("三重保障后个人负担")
    line = _money("监测线或负担封顶线", null=True)
    figures = models.JSONField("计算依据", default=list, blank=True)
    reason = models.CharField("转介理由", max_length=300)
    asked = _money("建议帮扶金额", null=True)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.OPEN)
    due_on = models.DateField("答复期限")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="转介人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("转介时间", auto_now_add=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_via_key = models.BooleanField("由单位系统推送", default=False)
    refusal = models.CharField("不予帮扶原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "转介"
        verbose_name_plural = "转介"
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "body", "year"],
                condition=Q(state="open"),
                name="handoff_one_open_per_body_year",
                violation_error_message="该对象本年度已转介给该单位，尚待答复。",
            ),
            models.CheckConstraint(
                condition=~Q(state="refused") | ~Q(refusal=""), name="handoff_refusal_has_reason"
            ),
            models.CheckConstraint(condition=Q(burden__gte=0), name="handoff_burden_not_negative"),
        ]
        indexes = [models.Index(fields=["county", "state", "due_on"], name="handoff_county_due")]

    def __str__(self) -> str:
        return f"{self.number} {self.body}"


class Help(models.Model):
    """A sum of another body's help to a person (他方帮扶): counted once, by source."""

    area_lookups = ("person__township_id", "person__township__county_id")

    handoff = models.OneToOneField(
        Handoff,
        verbose_name="转介",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="help",
    )
    person = models.ForeignKey(
        Person, verbose_name="救助对象", on_delete=models.PROTECT, related_name="helps"
    )
    body = models.ForeignKey(
        Body, verbose_name="帮扶单位", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("医疗年度")
    amount = _money("帮扶金额")
    day = models.DateField("帮扶日期")
    kind = models.CharField("帮扶方式", max_length=60)
    reference = models.CharField(
        "单位业务编号", max_length=60, blank=True, help_text="该单位自己的编号；同一编号只计一次"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "他方帮扶"
        verbose_name_plural = "他方帮扶"
        ordering = ["person_id", "day", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="help_amount_positive"),
            models.UniqueConstraint(
                fields=["body", "reference"],
                condition=~Q(reference=""),
                name="help_reference_counted_once",
                violation_error_message="该单位的这笔帮扶已登记过（同一编号只计一次）。",
            ),
        ]
        indexes = [models.Index(fields=["person", "year"], name="help_person_year")]

    def __str__(self) -> str:
        return f"{self.body} {self.amount}"


class Deliberation(models.Model):
    """一事一议 (seed 001 §五(二)): the county's deliberation on an exceptional case. Proposed by a
    reviewer with the facts and the members present, decided by another person (four eyes: a
    constraint), within the policy's cap for one decision; paid through the usual batches."""

    area_lookups = ("township_id", "county_id")

    class State(models.TextChoices):
        PROPOSED = "proposed", "待审定"
        DECIDED = "decided", "已决定，待发放"
        REFUSED = "refused", "不予救助"
        PAID = "paid", "已发放"

    number = models.CharField("一事一议编号", max_length=40, unique=True)
    application = models.ForeignKey(
        "applications.Application",
        verbose_name="所涉申请",
        on_delete=models.PROTECT,
        related_name="deliberations",
    )
    person = models.ForeignKey(
        Person, verbose_name="救助对象", on_delete=models.PROTECT, related_name="deliberations"
    )
    township = models.ForeignKey(
        "areas.Township", verbose_name="乡镇（街道）", on_delete=models.PROTECT, related_name="+"
    )
    county = models.ForeignKey(
        "areas.County", verbose_name="旗县区", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("医疗年度")
    facts = models.TextField("基本情况与理由", max_length=2000)
    members = models.CharField("参会人员", max_length=300)
    met_on = models.DateField("议定日期")
    amount = _money("议定救助金额")
    cap = _money("单次议定上限（政策参数）")
    within_cap = models.BooleanField("计入年度救助限额", default=False)
    fund = models.ForeignKey(
        "settlements.FundSource",
        verbose_name="列支资金",
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提议人", on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField("提议时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审定人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("审定时间", null=True, blank=True)
    refusal = models.CharField("不予救助理由", max_length=200, blank=True)
    paid_on = models.DateField("发放日期", null=True, blank=True)

    class Meta:
        verbose_name = "一事一议"
        verbose_name_plural = "一事一议"
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="deliberation_amount_positive"),
            models.CheckConstraint(
                condition=Q(amount__lte=models.F("cap")), name="deliberation_within_cap"
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("proposed_by")),
                name="deliberation_four_eyes",
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=~Q(state="refused"),
                name="deliberation_one_per_case",
                violation_error_message="该申请已有一事一议（未被否决），不能重复提议。",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class StationKey(models.Model):
    """A hospital's key (病贫共济服务站) for its early reports; it sees only its own reports."""

    institution = models.ForeignKey(
        "areas.Institution", verbose_name="定点医疗机构", on_delete=models.PROTECT, related_name="+"
    )
    label = models.CharField("系统名称", max_length=100)
    key_prefix = models.CharField("密钥前缀", max_length=8)
    key_hash = models.CharField("密钥摘要", max_length=64, unique=True)
    active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "医疗机构报送密钥"
        verbose_name_plural = "医疗机构报送密钥"

    def __str__(self) -> str:
        return f"{self.institution.name} · {self.label}（{self.key_prefix}…）"


class EarlyReport(models.Model):
    """A hospital's report of an inpatient expected to cost much (seed 004 2, 医疗机构主动排摸)."""

    area_lookups = ("township_id", "county_id")

    class State(models.TextChoices):
        OPEN = "open", "待联系"
        CONTACTED = "contacted", "已联系"
        CASE = "case", "已发起申请"
        CLOSED = "closed", "已结算"
        WITHDRAWN = "withdrawn", "医院撤回"

    institution = models.ForeignKey(
        "areas.Institution", verbose_name="报送医疗机构", on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField("医院报送编号", max_length=60)
    person = models.ForeignKey(
        Person,
        verbose_name="救助对象",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="early_reports",
    )
    name = models.CharField("姓名", max_length=50)
    id_number = EncryptedCharField("身份证号码", max_length=18)
    township = models.ForeignKey(
        "areas.Township",
        verbose_name="乡镇（街道）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    county = models.ForeignKey(
        "areas.County",
        verbose_name="旗县区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    admitted_on = models.DateField("入院日期")
    expected_total = _money("预计医疗总费用")
    diagnosis = models.CharField("诊断", max_length=200)
    ward = models.CharField("科室及床号", max_length=100, blank=True)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.OPEN)
    application = models.ForeignKey(
        "applications.Application",
        verbose_name="发起的申请",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contact_note = models.CharField("联系情况", max_length=200, blank=True)
    closed_by = models.CharField("结算记录", max_length=64, blank=True)
    closed_at = models.DateTimeField("结算时间", null=True, blank=True)
    via_key = models.BooleanField("由医院系统推送", default=False)
    reported_at = models.DateTimeField("报送时间", auto_now_add=True)

    class Meta:
        verbose_name = "医疗机构大额费用预报"
        verbose_name_plural = "医疗机构大额费用预报"
        ordering = ["-reported_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "reference"], name="early_report_once_per_hospital"
            ),
            models.CheckConstraint(
                condition=Q(expected_total__gt=0), name="early_report_total_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["township", "state"], name="early_report_township_state"),
        ]

    def __str__(self) -> str:
        return f"{self.institution.name} {self.name} {self.admitted_on}"


# The state fields' declared moves and their one writer (core.states)
_H, _D, _E = Handoff.State, Deliberation.State, EarlyReport.State
HANDOFF_STATES = Machine(
    Handoff,
    "state",
    {_H.HELPED: frozenset({_H.OPEN}), _H.REFUSED: frozenset({_H.OPEN}),
     _H.WITHDRAWN: frozenset({_H.OPEN})},
    writer="relief.services",
)  # fmt: skip
DELIBERATION_STATES = Machine(
    Deliberation,
    "state",
    {_D.DECIDED: frozenset({_D.PROPOSED}), _D.REFUSED: frozenset({_D.PROPOSED}),
     _D.PAID: frozenset({_D.DECIDED})},
    writer="relief.special",
)  # fmt: skip
EARLY_STATES = Machine(
    EarlyReport,
    "state",
    {_E.CONTACTED: frozenset({_E.OPEN, _E.CONTACTED}), _E.CASE: frozenset({_E.OPEN, _E.CONTACTED}),
     _E.CLOSED: frozenset({_E.OPEN, _E.CONTACTED, _E.CASE})},
    writer="relief.early",
)  # fmt: skip
