"""The register of designated medical institutions (定点医药机构名录), imported by the administrator
through the same check, confirm and import as every file (``services.jobs``).

Column layout (first row = headers; the platform's field codes or Chinese names; order free):

| 列名 (header)                          | key    | required | example            |
|----------------------------------------|--------|----------|--------------------|
| fixmedins_code / 定点医药机构编号        | code   | yes      | H15010200001       |
| fixmedins_name / 定点医药机构名称        | name   | yes      | 内蒙古医科大学附属医院 |
| hosp_lv / 医院等级                      | grade  | yes      | 02 or 三级甲等      |
| admdvs / 行政区划                       | region | no       | 150102 (else the code's own 6 digits) |

An entry already in the register is updated (name, level, region); a code the file no longer
lists stays in the register (the platform's list may come in parts).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from areas.institutions import code_shape_error, level_of
from areas.models import Institution
from core.rows import Layout, cell_text, in_batches, record_from_json, record_json, staged

from .models import IdentityImport
from .records import Outcome

HEADERS = {
    "fixmedins_code": "code", "定点医药机构编号": "code", "医疗机构编码": "code", "机构编码": "code",
    "fixmedins_name": "name", "定点医药机构名称": "name", "医疗机构名称": "name", "机构名称": "name",
    "hosp_lv": "grade", "医院等级": "grade", "医疗机构等级": "grade",
    "admdvs": "region", "行政区划": "region", "所在行政区划": "region",
}  # fmt: skip
LABELS = {"code": "定点医药机构编号", "name": "定点医药机构名称", "grade": "医院等级",
          "region": "行政区划"}  # fmt: skip
LAYOUT = Layout(HEADERS, ("code", "name", "grade"), LABELS)


@dataclass(frozen=True)
class Entry:
    code: str
    name: str
    level: str
    grade: str
    region: str

    def staged(self) -> dict[str, Any]:
        return record_json(self)

    @classmethod
    def from_staged(cls, data: dict[str, Any]) -> Entry:
        return record_from_json(cls, data)  # type: ignore[no-any-return]


def validate(raw: dict[str, Any], *, row_number: int) -> tuple[Entry | None, Outcome]:
    out = Outcome(row_number=row_number)
    for key in LAYOUT.required:
        if not cell_text(raw.get(key)):
            out.errors.append(f"{LABELS[key]}为空。")
    code = cell_text(raw.get("code")).upper()
    name = cell_text(raw.get("name"))
    grade = cell_text(raw.get("grade"))
    region = cell_text(raw.get("region"))
    if code and (problem := code_shape_error(code)):
        out.errors.append(problem)
    level = level_of(grade) if grade else None
    if grade and level is None:
        out.errors.append(
            f"医院等级“{grade}”无法识别（可填平台代码 01–11，或 三级甲等、二级、一级、无等级 等）。"
        )
    if len(name) > 200:
        out.errors.append("定点医药机构名称超过 200 个字。")
    if region and not (len(region) == 6 and region.isdigit()):
        out.errors.append(f"行政区划“{region}”应为 6 位数字代码。")
    if out.errors or level is None:
        return None, out
    return Entry(code, name, level, grade, region or code[1:7]), out


def apply(pairs: list[tuple[Entry, Outcome]], *, dry_run: bool) -> None:
    held = {i.code: i for i in Institution.objects.filter(code__in=[e.code for e, _ in pairs])}
    new: dict[str, Institution] = {}
    changed: list[Institution] = []
    for e, out in pairs:
        out.person = "unchanged"  # no person in this file: the row is taken
        old = held.get(e.code) or new.get(e.code)
        if old is None:
            out.identity = "created"
            new[e.code] = Institution(
                code=e.code, name=e.name, level=e.level, grade=e.grade, region=e.region
            )
            continue
        fresh = (e.name, e.level, e.grade, e.region, True)
        if (old.name, old.level, old.grade, old.region, old.active) == fresh:
            out.identity = "unchanged"
            continue
        out.identity = "updated"
        out.warnings.append(f"已更新：{old.name}（{old.get_level_display()}）→ {e.name}")
        old.name, old.level, old.grade, old.region, old.active = fresh
        if old.pk:
            changed.append(old)
    if dry_run:
        return
    Institution.objects.bulk_create(new.values())
    Institution.objects.bulk_update(changed, ["name", "level", "grade", "region", "active"])


def process(
    rows: Iterable[tuple[int, dict[str, Any]]],
    *,
    batch: IdentityImport | None,
    today: date,
    dry_run: bool,
    on_batch: Any = None,
    stage: Any = None,
    validated: bool = False,
) -> Iterator[Outcome]:
    def _apply(pairs: list[tuple[Entry, Outcome]]) -> None:
        with transaction.atomic():
            apply(pairs, dry_run=dry_run)

    return in_batches(
        rows,
        validate=staged if validated else lambda n, raw: validate(raw, row_number=n),
        apply=_apply,
        on_batch=on_batch,
        stage=stage,
    )


def count(batch: IdentityImport, o: Outcome) -> None:
    batch.records_created += o.identity == "created"
    batch.records_unchanged += o.identity in ("updated", "unchanged")


def done(batch: IdentityImport) -> str:
    return (
        f"定点医药机构名录导入完成：新增 {batch.records_created}，已有（含更新）{batch.records_unchanged}，"
        f"有误 {batch.bad_rows} 行"
    )
