"""Administrative areas: the city, its counties (旗县区) and their townships/streets (乡镇/街道)."""

from decimal import Decimal

from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords


class City(models.Model):
    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=50)
    policy_code = models.CharField(
        "结算政策",
        max_length=40,
        default="hohhot-2023",
        help_text="本市医疗救助结算所用的政策（settlements/policies/ 中的代码）",
    )

    class Meta:
        verbose_name = "盟市"
        verbose_name_plural = "盟市"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    # Which policy codes exist is the settlements floor's knowledge: a city is saved through
    # ``settlements.services.city_save`` (and its admin page), which refuses an unknown code.


class County(models.Model):
    # the way to its township and county, for accounts.access.scoped
    area_lookups = ("townships", "pk")
    city = models.ForeignKey(
        City, verbose_name="所属盟市", on_delete=models.PROTECT, related_name="counties"
    )
    code = models.CharField("区划代码", max_length=12, unique=True, help_text="6 位县级区划代码")
    name = models.CharField("名称", max_length=50)
    agency_name = models.CharField("医保经办机构", max_length=100, blank=True)
    agency_phone = models.CharField("经办机构电话", max_length=30, blank=True)
    second_approval_above = models.DecimalField(
        "需第二审批人的金额（元）",
        max_digits=12,
        decimal_places=2,
        default=Decimal("20000.00"),
        help_text="拟发放金额超过此数时，须由另一位审批人再次批准",
    )
    reconsideration_body = models.CharField(
        "行政复议机关",
        max_length=100,
        blank=True,
        help_text="不予救助告知书中写明的行政复议机关，如“土默特左旗人民政府”",
    )
    court = models.CharField(
        "行政诉讼法院", max_length=100, blank=True, help_text="如“土默特左旗人民法院”"
    )
    active = models.BooleanField("启用", default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "旗县区"
        verbose_name_plural = "旗县区"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("areas:county", args=[self.pk])

    @property
    def audit_area(self) -> tuple[int | None, int | None]:
        """(township id, county id) of the audit rows about this county."""
        return None, self.pk


class Township(models.Model):
    # the way to its township and county, for accounts.access.scoped
    area_lookups = ("pk", "county_id")

    class Kind(models.TextChoices):
        TOWN = "town", "镇"
        TOWNSHIP = "township", "乡"
        SUBDISTRICT = "subdistrict", "街道"
        SUMU = "sumu", "苏木"

    county = models.ForeignKey(
        County, verbose_name="所属旗县区", on_delete=models.PROTECT, related_name="townships"
    )
    code = models.CharField("区划代码", max_length=12, unique=True, help_text="9 位乡级区划代码")
    name = models.CharField("名称", max_length=50)
    kind = models.CharField("类型", max_length=12, choices=Kind.choices, default=Kind.TOWN)
    window_phone = models.CharField("救助服务窗口电话", max_length=30, blank=True)
    window_address = models.CharField("窗口地址", max_length=200, blank=True)
    active = models.BooleanField("启用", default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "乡镇（街道）"
        verbose_name_plural = "乡镇（街道）"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("areas:township", args=[self.pk])

    @property
    def audit_area(self) -> tuple[int | None, int | None]:
        """(township id, county id) of the audit rows about this township."""
        return self.pk, self.county_id


class Institution(models.Model):
    """A designated medical institution (定点医药机构) as the medical-insurance platform names it:
    its code (``fixmedins_code``: H or P, the 6-digit 区划, a serial), name, level and region. The
    administrator imports the register from the platform's list (``beneficiaries.institutions``);
    hospital codes at the window, in files and in referrals are checked against it, and the
    out-of-list share (seed 001 §七(一)) takes the level from it."""

    class Level(models.TextChoices):  # the same values as a bill's hospital level
        TIER3 = "tier3", "三级"
        TIER2 = "tier2", "二级"
        TIER1 = "tier1", "一级及以下（基层）"

    code = models.CharField("定点医药机构编号", max_length=20, unique=True)
    name = models.CharField("定点医药机构名称", max_length=200)
    level = models.CharField("医院等级", max_length=6, choices=Level.choices)
    grade = models.CharField(
        "医院等级（平台原值）",
        max_length=20,
        blank=True,
        help_text="hosp_lv 代码或文字，如 02 / 三级甲等",
    )
    region = models.CharField("所在行政区划", max_length=6, help_text="6 位区划代码")
    active = models.BooleanField("在册", default=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "定点医药机构"
        verbose_name_plural = "定点医药机构名录"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"
