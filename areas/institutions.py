"""The register of designated medical institutions (定点医药机构名录): what a hospital code is, and
the checks every door (the window, the files, the referrals) makes against it.

The level comes from the platform's hospital grade (``hosp_lv``: 01 三级特等 … 11 无等级, as the
platform's code table lists them) or its words; the portal keeps three tiers, the ones the seed's
out-of-list limits name (seed 001 §七(一): 三级 10%, 二级及以下 5%)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

from .models import Institution

# hosp_lv (医院等级) of the platform's code table, and the words files use, to the portal's tiers
GRADES: dict[str, str] = {
    "01": "tier3", "02": "tier3", "03": "tier3", "04": "tier3",  # 三级特等 / 甲 / 乙 / 丙
    "05": "tier2", "06": "tier2", "07": "tier2",  # 二级甲 / 乙 / 丙
    "08": "tier1", "09": "tier1", "10": "tier1", "11": "tier1",  # 一级甲 / 乙 / 丙, 无等级
    "三级特等": "tier3", "三级甲等": "tier3", "三级乙等": "tier3", "三级丙等": "tier3", "三级": "tier3",
    "三甲": "tier3", "二级甲等": "tier2", "二级乙等": "tier2", "二级丙等": "tier2", "二级": "tier2",
    "二甲": "tier2", "一级甲等": "tier1", "一级乙等": "tier1", "一级丙等": "tier1", "一级": "tier1",
    "无等级": "tier1", "未定级": "tier1", "基层": "tier1",
    "tier3": "tier3", "tier2": "tier2", "tier1": "tier1",
}  # fmt: skip

# the platform's institution code: H (医疗机构) or P (药店), the 6-digit 区划, a serial
CODE = re.compile(r"^[HP]\d{11}$")


def level_of(grade: str) -> str | None:
    return GRADES.get(grade.strip())


def code_shape_error(code: str) -> str | None:
    if not CODE.match(code):
        return (
            f"定点医药机构编号“{code}”格式不对：应为 12 位，H（医疗机构）或 P（药店）开头，"
            "后接 6 位行政区划代码和 5 位序号，如 H15010200001。"
        )
    return None


def register_loaded() -> bool:
    """Whether the administrator has imported the register: until then no code is checked."""
    return Institution.objects.filter(active=True).exists()


def listed(codes: list[str]) -> dict[str, Institution]:
    """The register's entries for these codes (in the register and active)."""
    return {i.code: i for i in Institution.objects.filter(code__in=set(codes), active=True)}


def covered(code: str) -> bool:
    """Whether the register covers the code's province (H or P, then 2 digits): a city imports its
    own region's list, so a hospital in another province (区外就医) is not checked against it."""
    return Institution.objects.filter(code__startswith=code[:3], active=True).exists()


def institution_checked(code: str, *, label: str = "医疗机构编码") -> Institution | None:
    """A code given at a door, checked against the register: the entry, or None when the register
    does not cover the code's province (not imported yet, or a hospital elsewhere); a code of a
    covered province not in it is refused with the reason."""
    code = code.strip().upper()
    if not code or not covered(code):
        return None
    found = listed([code]).get(code)
    if found is None:
        raise ValidationError(
            f"{label}“{code}”不在定点医药机构名录中。医疗救助费用只覆盖在定点医药机构发生的费用"
            "（001号文 四(二)）；请核对结算单上的编号，或请管理员导入最新的名录。",
            code="not_listed",
        )
    return found
