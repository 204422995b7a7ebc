"""The referral register (转诊备案): entered at the window, or read from the national medical-insurance
platform's 转院备案 records in the platform's own field codes, and which referral covers a bill.

The platform's record (interface 2501 转院备案, and the 5304 转院信息查询 that lists them) names the
fields ``trt_dcla_detl_sn`` 待遇申报明细流水号 (the registration's number), ``psn_cert_type`` /
``certno`` 证件类型/号码, ``psn_name``, ``fixmedins_code`` / ``fixmedins_name`` 转出机构,
``reflin_medins_no`` / ``reflin_medins_name`` 转往定点医药机构, ``mdtrtarea_admdvs`` 就医地行政区划,
``refl_date`` 转院日期, ``refl_rea`` 转院原因, ``begndate`` / ``enddate`` 有效期. A file with those
headers is read as it comes; the Chinese names are accepted too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.access import scoped
from accounts.models import User
from areas.institutions import institution_checked
from audit.events import Event
from audit.services import record
from core.crypto import blind_index
from core.rows import ImportFileError, Layout, cell_day, cell_text, read_rows

from .idnumber import parse
from .models import Person, Referral

# A referral file is small (a county's registrations of a year): read at once, all or nothing.
MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024

HEADERS: dict[str, str] = {
    "trt_dcla_detl_sn": "number", "待遇申报明细流水号": "number", "备案号": "number", "转诊单号": "number",
    "psn_cert_type": "cert_type", "人员证件类型": "cert_type",
    "certno": "id_number", "证件号码": "id_number", "公民身份号码": "id_number", "身份证号码": "id_number",
    "psn_name": "name", "人员姓名": "name", "姓名": "name",
    "fixmedins_name": "from_hospital", "定点医药机构名称": "from_hospital", "转出医院": "from_hospital",
    "reflin_medins_no": "to_code", "转往定点医药机构编号": "to_code", "转往医院编码": "to_code",
    "reflin_medins_name": "to_hospital", "转往医院名称": "to_hospital", "转往医院": "to_hospital",
    "mdtrtarea_admdvs": "area_code", "就医地行政区划": "area_code", "就医地医保区划": "area_code",
    "refl_date": "refl_date", "转院日期": "refl_date",
    "refl_rea": "reason", "转院原因": "reason", "转诊转院原因": "reason",
    "begndate": "valid_from", "开始日期": "valid_from", "有效期起": "valid_from",
    "enddate": "valid_to", "结束日期": "valid_to", "有效期止": "valid_to",
}  # fmt: skip
LABELS = {
    "number": "待遇申报明细流水号（trt_dcla_detl_sn）", "id_number": "证件号码（certno）",
    "to_hospital": "转往医院名称（reflin_medins_name）", "area_code": "就医地行政区划（mdtrtarea_admdvs）",
    "valid_from": "开始日期（begndate）", "valid_to": "结束日期（enddate）", "name": "人员姓名",
    "cert_type": "人员证件类型", "from_hospital": "转出医院", "to_code": "转往定点医药机构编号",
    "refl_date": "转院日期", "reason": "转院原因",
}  # fmt: skip
LAYOUT = Layout(
    HEADERS, ("number", "id_number", "to_hospital", "area_code", "valid_from", "valid_to"), LABELS
)
ID_CARD = "01"  # the platform's psn_cert_type for 居民身份证
CODE = re.compile(r"[A-Za-z0-9]{1,30}", re.ASCII)
AREA = re.compile(r"[1-9][0-9]{5}", re.ASCII)


def covering(
    referrals: Iterable[Referral], hospital: str, code: str, day: date | None
) -> Referral | None:
    """The first live referral of ``referrals`` that covers a bill at ``hospital`` on ``day``."""
    return next((r for r in referrals if r.covers(hospital, code, day)), None)


def out_of_region(person: Person, area_code: str) -> bool:
    """Whether ``area_code`` lies outside the person's province (自治区): the first two digits."""
    return area_code[:2] != person.township.county.code[:2]


@dataclass
class Fields:
    """A referral's fields as typed or read, checked (``errors`` in Chinese)."""

    number: str
    to_hospital: str
    to_code: str
    area_code: str
    valid_from: date | None
    valid_to: date | None
    from_hospital: str = ""
    reason: str = ""
    errors: list[str] = field(default_factory=list)

    def check(self) -> Fields:
        if not self.number:
            self.errors.append("请填写备案号（医保平台的待遇申报明细流水号或转诊单号）。")
        elif len(self.number) > 40:
            self.errors.append("备案号超过 40 个字符。")
        if not self.to_hospital:
            self.errors.append("请填写转往的医疗机构名称。")
        elif len(self.to_hospital) > 100:
            self.errors.append("转往医疗机构名称超过 100 个字。")
        if self.to_code and not CODE.fullmatch(self.to_code):
            self.errors.append(
                f"定点医药机构编号“{self.to_code}”应为字母和数字（如 H15010200001）。"
            )
        elif self.to_code:
            try:  # 定点 where the register covers the hospital's province
                institution_checked(self.to_code, label="转往定点医药机构编号")
            except ValidationError as exc:
                self.errors.extend(exc.messages)
        if not AREA.fullmatch(self.area_code):
            self.errors.append(f"就医地行政区划“{self.area_code}”应为 6 位区划代码（如 110000）。")
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            self.errors.append(f"有效期止 {self.valid_to} 早于有效期起 {self.valid_from}。")
        if len(self.reason) > 200 or len(self.from_hospital) > 100:
            self.errors.append("转诊原因或转出医院过长。")
        return self


def _create(person: Person, f: Fields, source: str, actor: User | None) -> Referral:
    return Referral.objects.create(
        person=person,
        number=f.number,
        from_hospital=f.from_hospital,
        to_hospital=f.to_hospital,
        to_code=f.to_code.upper(),
        area_code=f.area_code,
        out_of_region=out_of_region(person, f.area_code),
        valid_from=cast(date, f.valid_from),  # checked by the callers
        valid_to=cast(date, f.valid_to),
        reason=f.reason,
        source=source,
        created_by=actor,
    )


@transaction.atomic
def referral_register(*, person: Person, fields: Fields, actor: User) -> Referral:
    """A referral entered at the window (on the person's record), audited; every fault refused
    with its reason, nothing written."""
    fields.check()
    if fields.valid_from is None or fields.valid_to is None:
        fields.errors.append("请填写有效期起止日期。")
    if fields.errors:
        raise ValidationError(fields.errors)
    if Referral.objects.filter(number=fields.number).exists():
        raise ValidationError(f"备案号 {fields.number} 已登记，不能重复登记。", code="duplicate")
    try:
        with transaction.atomic():
            referral = _create(person, fields, Referral.Source.WINDOW, actor)
    except IntegrityError:
        raise ValidationError(f"备案号 {fields.number} 已登记，不能重复登记。") from None
    record(
        actor=actor,
        event=Event.REFERRAL_REGISTERED,
        target=person,
        summary=f"{person.name}：{referral}",
    )
    return referral


@transaction.atomic
def referral_end(*, referral: Referral, actor: User, reason: str) -> Referral:
    """撤销 a referral entered in error: it stays, marked, and covers no bill from now on (bills
    already approved keep their decision)."""
    from django.utils import timezone

    reason = reason.strip()
    if not reason:
        raise ValidationError("撤销须写明原因（如：备案号录错）。", code="reason")
    item = Referral.objects.select_for_update().get(pk=referral.pk)
    if item.ended_at is not None:
        raise ValidationError("该转诊备案已经撤销。", code="ended")
    item.ended_at = timezone.now()
    item.end_reason = reason[:200]
    item.save(update_fields=["ended_at", "end_reason"])
    record(
        actor=actor,
        event=Event.REFERRAL_ENDED,
        target=item.person,
        summary=f"撤销{item}：{reason}",
    )
    return item


@dataclass
class ImportReport:
    created: int = 0
    known: int = 0  # the same number already registered: skipped (a file read twice adds nothing)
    errors: list[tuple[int, str]] = field(default_factory=list)


def _read_row(raw: dict[str, Any]) -> tuple[str, Fields]:
    errors: list[str] = []
    cert_type = cell_text(raw.get("cert_type"))
    if cert_type and cert_type != ID_CARD:
        errors.append(
            f"人员证件类型 {cert_type} 不是居民身份证（01），本系统按身份证号码查找救助对象。"
        )
    fields = Fields(
        number=cell_text(raw.get("number")),
        to_hospital=cell_text(raw.get("to_hospital")),
        to_code=cell_text(raw.get("to_code")),
        area_code=cell_text(raw.get("area_code")),
        valid_from=cell_day(raw.get("valid_from"), "开始日期", errors),
        valid_to=cell_day(raw.get("valid_to"), "结束日期", errors),
        from_hospital=cell_text(raw.get("from_hospital")),
        reason=cell_text(raw.get("reason")),
        errors=errors,
    )
    if fields.valid_from is None and not any("开始日期" in e for e in errors):
        errors.append("缺少开始日期。")
    if fields.valid_to is None and not any("结束日期" in e for e in errors):
        errors.append("缺少结束日期。")
    return cell_text(raw.get("id_number")), fields.check()


@transaction.atomic
def referrals_import(*, raw: IO[bytes], filename: str, size: int, actor: User) -> ImportReport:
    """Read a file of 转院备案 records: every row checked first; with any fault nothing is written
    and every fault is listed by row; else each new number is registered (a known one skipped)."""
    report = ImportReport()
    if size > MAX_BYTES:
        raise ImportFileError(f"文件超过 {MAX_BYTES // 1024 // 1024} MB，请按旗县区分开上传。")
    rows: list[tuple[int, str, Fields]] = []
    for number, row in read_rows(raw, filename, LAYOUT):
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(f"文件超过 {MAX_ROWS} 行，请分开上传。")
        id_text, fields = _read_row(row)
        rows.append((number, id_text, fields))
    people = _people_by_id(actor, rows)
    known = set(
        Referral.objects.filter(number__in=[f.number for _n, _i, f in rows]).values_list(
            "number", flat=True
        )
    )
    seen: set[str] = set()
    for number, _id_text, fields in rows:
        if fields.number in seen:
            fields.errors.append(f"备案号 {fields.number} 在文件中重复。")
        seen.add(fields.number)
        report.errors.extend((number, e) for e in fields.errors)
    if report.errors:
        return report
    for _number, id_text, fields in rows:
        if fields.number in known:
            report.known += 1
            continue
        _create(people[id_text], fields, Referral.Source.PLATFORM, actor)
        report.created += 1
    record(
        actor=actor,
        event=Event.REFERRALS_IMPORTED,
        summary=f"导入转诊备案 {filename}：新增 {report.created} 条，已登记 {report.known} 条",
    )
    return report


def _people_by_id(actor: User, rows: Sequence[tuple[int, str, Fields]]) -> dict[str, Person]:
    """The registry's people of the file's ID numbers, within the actor's reach; a row whose
    number is invalid or not registered gets its reason."""
    people: dict[str, Person] = {}
    index: dict[str, str] = {}
    for _number, id_text, fields in rows:
        try:
            number = parse(id_text).number
        except ValidationError as exc:
            fields.errors.extend(f"证件号码：{m}" for m in exc.messages)
            continue
        index[blind_index(Person, number)] = id_text
    found = scoped(actor, Person.objects.select_related("township__county")).filter(
        id_index__in=list(index)
    )
    for person in found:
        people[index[person.id_index]] = person
    valid = set(index.values())
    for _number, id_text, fields in rows:
        if id_text in valid and id_text not in people:
            fields.errors.append(
                "证件号码不在本辖区的救助对象名单中（请先导入困难身份或在窗口登记）。"
            )
    return people
