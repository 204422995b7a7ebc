"""Checking one row of a department's data (a file's row or a pushed record): every fault found,
in Chinese, with the row's number; what passes becomes a ``Record``."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError

from areas.models import Township
from core.crypto import blind_index
from core.rows import (
    Layout,
    cell_date,
    cell_text,
)
from engine import categories

from .idnumber import IdNumber, parse
from .models import (
    CERTIFIERS,
    Person,
)
from .records import DEPARTMENTS, IDENTITY_LAYOUT, Outcome, Record


class TownshipIndex:
    """Townships by 9-digit code or by name (names only where unique)."""

    def __init__(self) -> None:
        self.by_key: dict[str, int] = {}
        names: dict[str, list[int]] = {}
        for pk, code, name in Township.objects.filter(active=True).values_list(
            "pk", "code", "name"
        ):
            self.by_key[code] = pk
            names.setdefault(name, []).append(pk)
        for name, pks in names.items():
            if len(pks) == 1:
                self.by_key[name] = pks[0]

    def get(self, value: str) -> int | None:
        return self.by_key.get(value)


def start_outcome(
    raw: dict[str, Any], *, row_number: int, layout: Layout, today: date
) -> tuple[Outcome, Any]:
    """The first checks of any row: required columns present, the ID number valid.

    Returns the outcome so far and the parsed ID number (None when it is missing or invalid)."""
    out = Outcome(row_number=row_number)
    for key in layout.required:
        if cell_text(raw.get(key)) == "":
            out.errors.append(f"{layout.labels[key]}为空。")
    info = None
    id_text = cell_text(raw.get("id_number"))
    if id_text:
        try:
            info = _parsed(id_text, today)
            out.id_number = info.number
            out.warnings.extend(info.warnings)
        except ValidationError as exc:
            out.errors.extend(exc.messages)
            out.id_number = id_text.upper()[:18]
    return out, info


# Long on purpose: one department row checked column by column, every fault collected (not the
# first only), so the department fixes its file once; the columns are checked in the file's order.
def validate_record(
    raw: dict[str, Any],
    *,
    row_number: int,
    townships: TownshipIndex,
    default_department: str,
    today: date,
    only_department: str | None = None,
) -> tuple[Record | None, Outcome]:
    """Check one record; return it cleaned, or None with every reason in the outcome.

    ``only_department``: a department's key pushes its own department's identities and no other's.
    Whatever the way in, a department brings only the categories it certifies (``CERTIFIERS``)."""
    out, info = start_outcome(raw, row_number=row_number, layout=IDENTITY_LAYOUT, today=today)
    errors = out.errors
    category = None
    cat_text = cell_text(raw.get("category"))
    if cat_text:
        category = categories.category_from_text(cat_text)
        if category is None:
            errors.append(
                f"困难身份类别“{cat_text}”无法识别（可填 低保对象、特困人员、dibao 等）。"
            )
    certified_on = cell_date(raw.get("certified_on"), "认定日期", errors)
    ended_on = cell_date(raw.get("ended_on"), "终止日期", errors)
    if certified_on and certified_on > today:
        errors.append(f"认定日期 {certified_on} 晚于今天。")
    if certified_on and ended_on and ended_on < certified_on:
        errors.append(f"终止日期 {ended_on} 早于认定日期 {certified_on}。")
    town_text = cell_text(raw.get("township"))
    township_id = townships.get(town_text) if town_text else None
    if town_text and township_id is None:
        errors.append(
            f"居住乡镇“{town_text}”不在本市的乡镇（街道）名单中（可填 9 位区划代码或唯一的名称）。"
        )
    dept_text = cell_text(raw.get("department"))
    department = DEPARTMENTS.get(dept_text) if dept_text else default_department
    if department is None:
        errors.append(f"认定部门“{dept_text}”无法识别（可填 民政、乡村振兴、残联、医保、其他）。")
    elif only_department and department != only_department:
        errors.append(
            f"本推送密钥属于{only_department}部门，只能推送{only_department}认定的身份（本条认定部门为“{department}”）。"
        )
    elif category and department not in CERTIFIERS[category]:
        errors.append(
            f"{categories.CATEGORIES[category][0]}由{'、'.join(sorted(CERTIFIERS[category]))}部门认定，"
            f"{department}部门不能导入、修改或终止此类身份。"
        )
    name = cell_text(raw.get("name"))
    if len(name) > 50:
        errors.append("姓名超过 50 个字。")
    phone = cell_text(raw.get("phone"))
    if phone and not phone.replace("-", "").isdigit():
        errors.append(f"联系电话“{phone}”应只含数字和短横线。")
    if (
        errors
        or info is None
        or category is None
        or certified_on is None
        or township_id is None
        or not department
    ):
        return None, out
    record = Record(
        id_index=blind_index(Person, info.number),
        id_tail=info.number[-4:],
        id_number=info.number,
        name=name,
        category=category,
        certified_on=certified_on,
        ended_on=ended_on,
        township_id=township_id,
        department=department,
        certificate_number=cell_text(raw.get("certificate_number"))[:60],
        phone=phone[:30],
        address=cell_text(raw.get("address"))[:200],
        birth_date=info.birth_date,
        sex=info.sex,
        place=info.place,
        id_warning=info.warnings[0] if info.warnings else "",
    )
    return record, out


@lru_cache(maxsize=65536)  # a file names the same people again and again
def _parsed(id_text: str, today: date) -> IdNumber:
    """``parse``, once per number and day (it is a function of both; a refusal is not kept)."""
    return parse(id_text, today=today)
