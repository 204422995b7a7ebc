"""The referral register (转诊备案): which hospital a person was referred to, where, and for how long.

A bill counts as 规范转诊 (seed 001 §七(三): "做好自治区外转诊救助对象登记备案…对按规定转诊的救助对象，执行其
困难身份认定地救助标准，未按规定转诊的…原则上不纳入医疗救助范围"; §四(三): tilted assistance "对规范转诊
且在自治区范围内就医的救助对象") only when a registered referral covers its hospital and its date.
Referrals are entered at the window or read from the national medical-insurance platform's 转院备案
records (its field codes: ``trt_dcla_detl_sn``, ``reflin_medins_no`` …, ``beneficiaries.referrals``).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .people import Person


def hospital_name_key(name: str) -> str:
    """A hospital's name compared without spaces or brackets' width (（） and ())."""
    return "".join(name.split()).replace("（", "(").replace("）", ")")


class Referral(models.Model):
    # the way to its township and county, for accounts.access.scoped
    area_lookups = ("person__township_id", "person__township__county_id")

    class Source(models.TextChoices):
        WINDOW = "window", "窗口登记"
        PLATFORM = "platform", "医保平台转院备案"

    person = models.ForeignKey(
        Person, verbose_name="救助对象", on_delete=models.PROTECT, related_name="referrals"
    )
    number = models.CharField(
        "备案号", max_length=40, unique=True, help_text="医保平台的待遇申报明细流水号或转诊单号"
    )
    from_hospital = models.CharField("转出医疗机构", max_length=100, blank=True)
    to_hospital = models.CharField("转往医疗机构", max_length=100)
    to_code = models.CharField(
        "转往定点医药机构编号", max_length=30, blank=True, help_text="如 H15010200001"
    )
    area_code = models.CharField(
        "就医地行政区划",
        max_length=6,
        help_text="6 位区划代码，如 110000（北京）、150100（呼和浩特）",
    )
    out_of_region = models.BooleanField("转往自治区外", default=False)
    valid_from = models.DateField("有效期起")
    valid_to = models.DateField("有效期止")
    reason = models.CharField("转诊原因", max_length=200, blank=True)
    source = models.CharField("来源", max_length=10, choices=Source.choices)
    ended_at = models.DateTimeField("撤销时间", null=True, blank=True)
    end_reason = models.CharField("撤销原因", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "转诊备案"
        verbose_name_plural = "转诊备案"
        ordering = ["person_id", "valid_from", "id"]
        indexes = [models.Index(fields=["person", "valid_from"], name="referral_person_from")]
        constraints = [
            models.CheckConstraint(
                name="referral_ends_after_start",
                violation_error_message="有效期止不能早于有效期起。",
                condition=Q(valid_to__gte=F("valid_from")),
            ),
        ]

    def __str__(self) -> str:
        return (
            f"转诊备案 {self.number}（转往{self.to_hospital}，"
            f"{self.valid_from:%Y-%m-%d} 至 {self.valid_to:%Y-%m-%d}）"
        )

    @property
    def live(self) -> bool:
        return self.ended_at is None

    def covers(self, hospital: str, code: str, day: date | None) -> bool:
        """Whether this referral covers a bill at ``hospital`` (its code, if known) on ``day``:
        live, the day within its dates, and the same hospital (by code where both have one,
        else by name)."""
        if not self.live or day is None or not self.valid_from <= day <= self.valid_to:
            return False
        if self.to_code and code:
            return self.to_code.strip().upper() == code.strip().upper()
        return hospital_name_key(self.to_hospital) == hospital_name_key(hospital)
