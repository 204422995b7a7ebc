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
