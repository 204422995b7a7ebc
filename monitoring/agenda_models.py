"""多部门会商's records (``monitoring.agenda``): the month's agenda of a county and its families."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from beneficiaries.models import Person


def _money(label: str) -> models.DecimalField:
    return models.DecimalField(label, max_digits=14, decimal_places=2, default=Decimal("0.00"))


class Agenda(models.Model):
    """多部门会商 (seed 004 9: 建立多部门定期会商制度，协同化解困难群众自负高额医疗费用): a county's
    monthly list of families still above the line after every layer and every body's help, made by
    beat on the month's working day the policy names (``agenda.workday``); the meeting's outcome is
    recorded per family."""

    area_lookups = ("county__townships", "county_id")

    county = models.ForeignKey(
        "areas.County", verbose_name="旗县区", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("月份")
    burden_year = models.PositiveSmallIntegerField("负担所属医疗年度")
    built_at = models.DateTimeField("生成时间")
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="生成人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="空：按政策设定的工作日自动生成",
    )

    class Meta:
        verbose_name = "多部门会商议程"
        verbose_name_plural = "多部门会商议程"
        ordering = ["-year", "-month", "county_id"]
        constraints = [
            models.UniqueConstraint(fields=["county", "year", "month"], name="agenda_once_a_month"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="agenda_month"),
        ]

    def __str__(self) -> str:
        return f"{self.county} {self.year} 年 {self.month} 月多部门会商议程"


class AgendaItem(models.Model):
    """One family on an agenda: its burden after every layer and help, and the meeting's outcome."""

    area_lookups = ("person__township_id", "person__township__county_id")

    class Outcome(models.TextChoices):
        PENDING = "", "待会商"
        HANDOFF = "handoff", "转介他方帮扶"
        SPECIAL = "special", "提请一事一议"
        FOLLOW_UP = "follow_up", "乡镇继续跟进"
        NONE = "none", "无需进一步措施"

    agenda = models.ForeignKey(
        Agenda, verbose_name="议程", on_delete=models.CASCADE, related_name="items"
    )
    person = models.ForeignKey(
        Person, verbose_name="户主或本人", on_delete=models.PROTECT, related_name="+"
    )
    members = models.PositiveSmallIntegerField("家庭成员（有医疗费用的）", default=1)
    total = _money("家庭医疗总费用")
    relieved = _money("三重制度、一事一议和他方帮扶合计")
    burden = _money("家庭仍需负担")
    line = _money("负担线")
    outcome = models.CharField(
        "会商结果", max_length=10, choices=Outcome.choices, blank=True, default=""
    )
    note = models.CharField("会商意见", max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("登记时间", null=True, blank=True)

    class Meta:
        verbose_name = "会商家庭"
        verbose_name_plural = "会商家庭"
        ordering = ["agenda_id", "-burden", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agenda", "person"], name="agenda_family_once"),
        ]

    def __str__(self) -> str:
        return f"{self.agenda} {self.person.name}"
