"""Hardship identities (困难身份): the categories and the most favourable one on a date.

Hohhot's plan (seed 001 §二) names the first eight; 重度残疾人 (certified by 残联) is one of
Dongying's 贫困人口 for critical-illness insurance (seed 003 二(二)). A policy counts only the
categories it has rules for (``Policy.categories``).

Pure Python, no Django: the settlement engine and the intake both use it, so "most favourable
valid identity on a date" is decided in exactly one place.

Validity: an identity counts from ``certified_on`` (benefits start on the certification date,
seed 001 §四(三)) through ``ended_on`` inclusive (the last day of the certificate); ``ended_on`` None
means still valid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

# code -> (Chinese label, short label, rank: lower is more favourable)
# The ranking follows Hohhot's plan §四(三): ratio first (100% > 70% > 65%), then the yearly cap
# (100,000 > 50,000), then the deductible (none < 10% < 25% of the city income).
CATEGORIES: dict[str, tuple[str, str, int]] = {
    "tekun": ("特困人员（特困供养人员）", "特困", 1),
    "orphan": ("孤儿（含事实无人抚养儿童）", "孤儿", 2),
    "dibao": ("低保对象", "低保", 3),
    "returned_poor": ("返贫致贫人口", "返贫致贫", 4),
    "rural_at_risk": ("纳入监测范围的农村易返贫致贫人口", "易返贫致贫", 5),
    "dibao_edge": ("低保边缘家庭成员", "低保边缘", 6),
    "illness_poor": ("因病致贫重病患者", "因病致贫", 7),
    "other": ("旗县级以上政府规定的其他特殊困难人员", "其他", 8),
    "severe_disabled": ("重度残疾人（一、二级重度残疾，三级智力、精神残疾）", "重度残疾", 9),
}

# Words a department's file may use for a category, besides the code itself.
ALIASES: dict[str, str] = {}
for _code, (_label, _short, _rank) in CATEGORIES.items():
    ALIASES[_code] = _code
    ALIASES[_label] = _code
    ALIASES[_short] = _code
ALIASES.update(
    {
        "特困人员": "tekun",
        "特困供养人员": "tekun",
        "孤儿": "orphan",
        "事实无人抚养儿童": "orphan",
        "低保户": "dibao",
        "返贫致贫人口": "returned_poor",
        "脱贫不稳定人口": "rural_at_risk",
        "边缘易致贫人口": "rural_at_risk",
        "突发严重困难人口": "rural_at_risk",
        "监测对象": "rural_at_risk",
        "低保边缘": "dibao_edge",
        "低保边缘家庭": "dibao_edge",
        "因病致贫": "illness_poor",
        "因病致贫重病患者": "illness_poor",
        "重度残疾人": "severe_disabled",
        "重度残疾": "severe_disabled",
    }
)


def category_from_text(text: str) -> str | None:
    """The category code for a code or a Chinese name as departments write it, or None."""
    return ALIASES.get(text.strip().lower()) or ALIASES.get(text.strip())


class IdentityLike(Protocol):
    @property
    def category(self) -> str: ...
    @property
    def certified_on(self) -> date: ...
    @property
    def ended_on(self) -> date | None: ...


@dataclass(frozen=True)
class IdentityPeriod:
    category: str
    certified_on: date
    ended_on: date | None = None


def is_valid_on(identity: IdentityLike, on: date) -> bool:
    return identity.certified_on <= on and (identity.ended_on is None or on <= identity.ended_on)


def rank(category: str) -> int:
    return CATEGORIES[category][2]


def most_favourable[T: IdentityLike](identities: Iterable[T], on: date) -> T | None:
    """The most favourable identity valid on ``on`` (就高不就低), or None if none is valid.

    Ties between two identities of the same category go to the earlier certification.
    """
    valid = [i for i in identities if is_valid_on(i, on)]
    if not valid:
        return None
    return min(valid, key=lambda i: (rank(i.category), i.certified_on))
