"""Hospital settlement records (一站式结算), from the medical-insurance system's export.

The same reading, preview and batch flow as the identity import (``beneficiaries.importing``):
the file is streamed, every row is checked and counted first (preview), and only a confirmed
file writes. A record already imported (same settlement number at the same hospital, or without
a number the same person, hospital, date, kind and amounts) is never counted twice.

Column layout (first row = headers; Chinese or English names; order free):

| 列名 (header)   | key             | required | example                          |
|-----------------|-----------------|----------|----------------------------------|
| 公民身份号码     | id_number       | yes      | 150121196001010014               |
| 姓名            | name            | yes      | 乌兰其其格                        |
| 医疗机构        | hospital        | yes      | 内蒙古医科大学附属医院             |
| 医院等级        | hospital_level  | yes      | 三级 / 二级 / 一级 (tier3 …)      |
| 费用类别        | kind            | yes      | 住院 / 普通门诊 / 门诊慢特病       |
| 入院日期        | admitted_on     | inpatient| 2026-03-02                       |
| 出院日期        | discharged_on   | inpatient| 2026-03-15                       |
| 就诊日期        | visit_on        | outpatient| 2026-04-01                      |
| 医疗总费用      | total           | yes      | 48000.00                         |
| 政策范围内费用   | policy_scope    | yes      | 40000.00                         |
| 基本医保支付     | basic_paid      | yes      | 24000.00                         |
| 大病保险支付     | critical_paid   | yes      | 3000.00                          |
| 目录外费用      | out_of_list     | yes      | 4500.00                          |
| 医疗救助支付     | assistance_paid | no       | 0 (one-stop assistance, if any)  |
| 结算单号        | settlement_number| no      | JS2026031500123                  |
| 医疗机构编码     | hospital_code   | no       | H15010200001                     |
| 发票号          | invoice_number  | no       | 0012345678 (发票号 or 电子票据号)  |
| 困难身份类别     | category        | no       | 低保对象 (the identity settled under) |
| 居住乡镇        | township        | new people| 150121100 or 察素齐镇            |
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from applications.models import HospitalLevel, Kind
from areas.institutions import listed, register_loaded
from areas.models import Institution
from beneficiaries.importing import (
    Outcome,
    Staged,
    TownshipIndex,
    insert_people,
    new_person,
    start_outcome,
)
from beneficiaries.models import IdentityImport, Person
from core.crypto import blind_index
from core.rows import Layout, cell_date, cell_text, in_batches, insert_rows, staged
from engine import Expense, categories
from engine.money import parse_amount
from payments.recoveries import recoveries_propose
from settlements.bills import bill_label, invoice_key, number_checked, settlement_key
from settlements.ledger import OneStop, onestop_enter
from settlements.services import Bill

from .models import HospitalSettlement

HEADERS: dict[str, str] = {
    "公民身份号码": "id_number", "身份证号码": "id_number", "身份证号": "id_number", "id_number": "id_number",
    "姓名": "name", "name": "name",
    "医疗机构": "hospital", "医院": "hospital", "定点医疗机构": "hospital", "hospital": "hospital",
    "医院等级": "hospital_level", "医疗机构等级": "hospital_level", "hospital_level": "hospital_level",
    "费用类别": "kind", "就诊类别": "kind", "医疗类别": "kind", "kind": "kind",
    "入院日期": "admitted_on", "admitted_on": "admitted_on",
    "出院日期": "discharged_on", "discharged_on": "discharged_on",
    "就诊日期": "visit_on", "结算日期": "visit_on", "visit_on": "visit_on",
    "医疗总费用": "total", "总费用": "total", "total": "total",
    "政策范围内费用": "policy_scope", "policy_scope": "policy_scope",
    "基本医保支付": "basic_paid", "统筹支付": "basic_paid", "basic_paid": "basic_paid",
    "大病保险支付": "critical_paid", "critical_paid": "critical_paid",
    "目录外费用": "out_of_list", "目录外": "out_of_list", "out_of_list": "out_of_list",
    "医疗救助支付": "assistance_paid", "assistance_paid": "assistance_paid",
    "结算单号": "settlement_number", "结算流水号": "settlement_number",
    "settlement_number": "settlement_number",
    "医疗机构编码": "hospital_code", "定点医疗机构编码": "hospital_code", "hospital_code": "hospital_code",
    "发票号": "invoice_number", "发票号码": "invoice_number", "电子票据号": "invoice_number",
    "票据号码": "invoice_number", "invoice_number": "invoice_number",
    "困难身份类别": "category", "category": "category",
    "居住乡镇": "township", "乡镇": "township", "乡镇代码": "township", "township": "township",
}  # fmt: skip
REQUIRED = ("id_number", "name", "hospital", "hospital_level", "kind", "total", "policy_scope",
            "basic_paid", "critical_paid", "out_of_list")  # fmt: skip
LABELS = {
    "id_number": "公民身份号码", "name": "姓名", "hospital": "医疗机构", "hospital_level": "医院等级",
    "kind": "费用类别", "admitted_on": "入院日期", "discharged_on": "出院日期", "visit_on": "就诊日期",
    "total": "医疗总费用", "policy_scope": "政策范围内费用", "basic_paid": "基本医保支付",
    "critical_paid": "大病保险支付", "out_of_list": "目录外费用", "assistance_paid": "医疗救助支付",
    "settlement_number": "结算单号", "category": "困难身份类别", "township": "居住乡镇",
    "hospital_code": "医疗机构编码", "invoice_number": "发票号",
}  # fmt: skip
LAYOUT = Layout(HEADERS, REQUIRED, LABELS)

LEVELS = {
    **{c.value: c.value for c in HospitalLevel},
    **{c.label: c.value for c in HospitalLevel},
    "三级甲等": "tier3", "三甲": "tier3", "三级乙等": "tier3", "二级甲等": "tier2", "二甲": "tier2",
    "二级乙等": "tier2", "一级": "tier1", "基层": "tier1", "社区卫生服务中心": "tier1", "乡镇卫生院": "tier1",
}  # fmt: skip
KINDS = {
    **{c.value: c.value for c in Kind},
    **{c.label: c.value for c in Kind},
    "门诊": "outpatient", "门诊慢性病": "chronic_outpatient", "门诊特殊病": "chronic_outpatient",
    "慢特病": "chronic_outpatient",
}  # fmt: skip
AMOUNTS = ("total", "policy_scope", "basic_paid", "critical_paid", "out_of_list", "assistance_paid")


@dataclass(frozen=True)
class HospitalRecord(Staged):
    id_index: str  # the ID number's blind index
    id_number: str  # in clear while the file is checked; "" when the import reads the staged row
    name: str
    township_id: int | None
    birth_date: date
    sex: str
    place: str
    id_warning: str
    record_key: str
    settlement_number: str
    hospital: str
    hospital_code: str
    invoice_number: str
    hospital_level: str
    kind: str
    category: str
    admitted_on: date | None
    day: date
    amounts: dict[str, Decimal]
    id_sealed: str = ""  # the ID number sealed for Person.id_number (staged by the check)
    id_tail: str = ""


def record_key(id_number: str, hospital: str, number: str, day: date, kind: str, total: Any) -> str:
    """The natural key: the settlement number at its hospital, else the record's own facts."""
    basis = f"N|{hospital}|{number}" if number else f"F|{id_number}|{hospital}|{day}|{kind}|{total}"
    return hashlib.sha256(basis.encode()).hexdigest()


# Long on purpose: one hospital row checked column by column, every fault collected (not the
# first only), so the clerk fixes the file once; the columns are checked in the file's order.
def validate(
    raw: dict[str, Any], *, row_number: int, townships: TownshipIndex, today: date
) -> tuple[HospitalRecord | None, Outcome]:
    """Check one row; return it cleaned, or None with every reason in the outcome."""
    out, info = start_outcome(raw, row_number=row_number, layout=LAYOUT, today=today)
    out.warnings.clear()  # the county-code notice is for identity files; a hospital knows the person
    errors = out.errors
    level = LEVELS.get(cell_text(raw.get("hospital_level")))
    if cell_text(raw.get("hospital_level")) and level is None:
        errors.append(
            f"医院等级“{cell_text(raw.get('hospital_level'))}”无法识别（可填 三级、二级、一级）。"
        )
    kind = KINDS.get(cell_text(raw.get("kind")))
    if cell_text(raw.get("kind")) and kind is None:
        errors.append(
            f"费用类别“{cell_text(raw.get('kind'))}”无法识别（可填 住院、普通门诊、门诊慢特病）。"
        )
    admitted = cell_date(raw.get("admitted_on"), "入院日期", errors)
    discharged = cell_date(raw.get("discharged_on"), "出院日期", errors)
    visit = cell_date(raw.get("visit_on"), "就诊日期", errors)
    day = None
    if kind == Kind.INPATIENT:
        if discharged is None and not errors:
            errors.append("住院记录须有出院日期。")
        if admitted and discharged and discharged < admitted:
            errors.append(f"出院日期 {discharged} 早于入院日期 {admitted}。")
        day = discharged
    elif kind is not None:
        day = visit or discharged
        if day is None and not errors:
            errors.append("门诊记录须有就诊日期。")
    for label, value in (("入院日期", admitted), ("出院日期", discharged), ("就诊日期", visit)):
        if value is not None and value > today:
            errors.append(f"{label} {value} 晚于今天。")
    amounts: dict[str, Decimal] = {}
    for key in AMOUNTS:
        text = raw.get(key)
        if key == "assistance_paid" and cell_text(text) == "":
            amounts[key] = Decimal("0.00")
            continue
        if cell_text(text) == "":
            continue
        try:
            amounts[key] = parse_amount(text, LABELS[key])
        except ValueError as exc:  # one sentence, at most 999,999,999.99 (the columns hold more)
            errors.append(str(exc))
    if len(amounts) == len(AMOUNTS):
        if amounts["policy_scope"] > amounts["total"]:
            errors.append(
                f"政策范围内费用 {amounts['policy_scope']} 大于医疗总费用 {amounts['total']}。"
            )
        paid = amounts["basic_paid"] + amounts["critical_paid"] + amounts["assistance_paid"]
        if paid > amounts["total"]:
            errors.append(
                f"基本医保、大病保险和医疗救助共支付 {paid}，大于医疗总费用 {amounts['total']}。"
            )
        if amounts["out_of_list"] > amounts["total"]:
            errors.append(
                f"目录外费用 {amounts['out_of_list']} 大于医疗总费用 {amounts['total']}。"
            )
    category = ""
    cat_text = cell_text(raw.get("category"))
    if cat_text:
        category = categories.category_from_text(cat_text) or ""
        if not category:
            errors.append(
                f"困难身份类别“{cat_text}”无法识别（可填 低保对象、特困人员、dibao 等）。"
            )
    town_text = cell_text(raw.get("township"))
    township_id = townships.get(town_text) if town_text else None
    if town_text and township_id is None:
        errors.append(f"居住乡镇“{town_text}”不在本市的乡镇（街道）名单中。")
    name = cell_text(raw.get("name"))
    hospital = cell_text(raw.get("hospital"))
    if len(name) > 50:
        errors.append("姓名超过 50 个字。")
    if len(hospital) > 100:
        errors.append("医疗机构名称超过 100 个字。")
    # the bill's numbers by the one grammar of every door (settlements.bills)
    numbers: dict[str, str] = {}
    for key, longest in (("settlement_number", 60), ("hospital_code", 30), ("invoice_number", 40)):
        try:
            numbers[key] = number_checked(cell_text(raw.get(key)), LABELS[key])
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        if len(numbers[key]) > longest:
            errors.append(f"{LABELS[key]}超过 {longest} 个字符。")
    number = numbers.get("settlement_number", "")
    hospital_code = numbers.get("hospital_code", "")
    invoice_number = numbers.get("invoice_number", "")
    if errors or info is None or level is None or kind is None or day is None:
        return None, out
    return HospitalRecord(
        id_index=blind_index(Person, info.number), id_tail=info.number[-4:], id_number=info.number, name=name, township_id=township_id, birth_date=info.birth_date,
        sex=info.sex, place=info.place, id_warning=info.warnings[0] if info.warnings else "",
        record_key=record_key(info.number, hospital, number, day, kind, amounts["total"]),
        settlement_number=number, hospital=hospital, hospital_code=hospital_code,
        invoice_number=invoice_number, hospital_level=level, kind=kind,
        category=category, admitted_on=admitted if kind == Kind.INPATIENT else None, day=day,
        amounts=amounts,
    ), out  # fmt: skip


COLUMNS = ["person_id", "record_key", "settlement_number", "hospital", "hospital_code",
           "invoice_number", "invoice_key", "settlement_key", "hospital_level", "kind",
           "category", "admitted_on", "day", *AMOUNTS, "source_import_id", "recorded_at"]  # fmt: skip


def apply(
    pairs: list[tuple[HospitalRecord, Outcome]], *, batch: IdentityImport | None, dry_run: bool
) -> None:
    """Write one batch of valid records in one transaction (or, with dry_run, only judge them).

    A person the registry does not know is registered when the row names a township; otherwise
    the row is refused, since no township could follow the warning up.
    """
    if not pairs:
        return
    pairs, flagged = _listed(pairs)
    with transaction.atomic():
        known = Person.objects.filter(
            id_index__any_of=list({r.id_index for r, _ in pairs})
        ).values_list("id_index", "pk", "name")
        people = {index: pk for index, pk, _ in known}
        names = {index: name for index, _, name in known}
        held = set(
            HospitalSettlement.all_records.filter(
                record_key__any_of=[r.record_key for r, _ in pairs]
            ).values_list("record_key", flat=True)
        )
        held |= _held_by_number(pairs)
        new_people, new_records = _judged(pairs, people, names, held)
        if dry_run:
            return
        people.update(insert_people(new_people))
        insert_rows(
            HospitalSettlement,
            [*COLUMNS, "setl_id", "hospital_listed"],
            [[people[r.id_index], r.record_key, r.settlement_number, r.hospital, r.hospital_code,
              r.invoice_number, invoice_key(r.hospital_code, r.invoice_number),
              settlement_key(r.settlement_number), r.hospital_level,
              r.kind, r.category, r.admitted_on, r.day, *(r.amounts[k] for k in AMOUNTS),
              batch.pk if batch else None, timezone.now(), r.settlement_number,
              r.record_key not in flagged] for r in new_records],
        )  # fmt: skip
        overpaid = onestop_enter(
            [onestop(people[r.id_index], r) for r in new_records if r.amounts["assistance_paid"]]
        )
        if overpaid:
            recoveries_propose(overpaid)


def _held_by_number(pairs: list[tuple[HospitalRecord, Outcome]]) -> set[str]:
    """The settlement number is the platform's setl_id: a record already in the table by it
    (whichever door it came through), or twice in this batch, is held. Their record keys."""
    numbers = [r.settlement_number for r, _ in pairs if r.settlement_number]
    taken = set(
        HospitalSettlement.all_records.with_setl_ids(numbers).values_list("setl_id", flat=True)
    )
    held: set[str] = set()
    for r, _ in pairs:
        if r.settlement_number and r.settlement_number in taken:
            held.add(r.record_key)
        elif r.settlement_number:
            taken.add(r.settlement_number)
    return held


def _listed(
    pairs: list[tuple[HospitalRecord, Outcome]],
) -> tuple[list[tuple[HospitalRecord, Outcome]], set[str]]:
    """The hospital codes checked against the register (定点医药机构名录): a listed hospital's level
    is the register's; a code not in it is kept (a file of history) but flagged. The records with
    their level, and the record keys flagged."""
    if not register_loaded():
        return pairs, set()
    found = listed([r.hospital_code for r, _ in pairs if r.hospital_code])
    provinces = {
        c[:3] for c in Institution.objects.filter(active=True).values_list("code", flat=True)
    }
    checked, flagged = [], set()
    for r, out in pairs:
        entry = found.get(r.hospital_code)
        if r.hospital_code and entry is None and r.hospital_code[:3] in provinces:
            flagged.add(r.record_key)
            out.warnings.append(
                f"医疗机构编码“{r.hospital_code}”不在定点医药机构名录中，已标记待核实。"
            )
        elif entry is not None and entry.level != r.hospital_level:
            out.warnings.append(
                f"医院等级按定点医药机构名录记为“{entry.get_level_display()}”（文件中为"
                f"“{HospitalLevel(r.hospital_level).label}”）。"
            )
            r = replace(r, hospital_level=entry.level)
        checked.append((r, out))
    return checked, flagged


def _judged[R: HospitalRecord](
    pairs: list[tuple[R, Outcome]],
    people: dict[str | None, int],
    names: dict[str | None, str],
    held: set[str],
) -> tuple[dict[str, dict[str, Any]], list[R]]:
    """Each record judged: its person known, registered here, or the row refused (no township);
    a record already imported skipped. Returns the people to register and the records to write."""
    new_people: dict[str, dict[str, Any]] = {}  # blind index -> columns
    new_records: list[R] = []
    for record, out in pairs:
        if record.id_index in people:
            out.person = "unchanged"
            if names[record.id_index] != record.name:
                out.warnings.append(
                    f"姓名“{record.name}”与登记的“{names[record.id_index]}”不一致，已按身份证号计入。"
                )
        elif record.id_index in new_people:
            out.person = "unchanged"
        elif record.township_id is None:
            out.errors.append("登记中没有此人：请在“居住乡镇”列写明其乡镇（街道），以便乡镇跟进。")
            continue
        else:
            new_people[record.id_index] = new_person(record)
            out.person = "created"
        if record.record_key in held:
            out.identity = "unchanged"
            out.warnings.append("这条结算记录已导入过，不重复计入。")
            continue
        held.add(record.record_key)
        out.identity = "created"
        new_records.append(record)
    return new_people, new_records


def onestop(person_id: int, r: HospitalRecord) -> OneStop:
    """A record of a file that paid assistance, as it enters the yearly ledger (``onestop_enter``)."""
    return _onestop(person_id, r.record_key, r.hospital, r.hospital_code, r.invoice_number,
                    r.settlement_number, r.day, r.kind, r.amounts)  # fmt: skip


def onestop_of(h: HospitalSettlement) -> OneStop:
    """A stored hospital record, as it enters the yearly ledger (``manage.py ledger_backfill``)."""
    amounts = {k: getattr(h, k) for k in AMOUNTS}
    return _onestop(h.person_id, h.record_key, h.hospital, h.hospital_code, h.invoice_number,
                    h.settlement_number, h.day, h.kind, amounts)  # fmt: skip


def _onestop(
    person_id: int, record_key: str, hospital: str, hospital_code: str, invoice_number: str,
    settlement_number: str, day: date, kind: str, amounts: dict[str, Decimal],
) -> OneStop:  # fmt: skip
    return OneStop(
        person_id=person_id,
        record_key=record_key,
        expense=Expense(
            id=f"h:{record_key[:12]}",
            day=day,
            kind=kind,
            total=amounts["total"],
            policy_scope=amounts["policy_scope"],
            basic_paid=amounts["basic_paid"],
            critical_paid=amounts["critical_paid"],
            in_region=True,
            referred=False,
            assistance_paid=amounts["assistance_paid"],
        ),
        bill=Bill(
            expense_id=f"h:{record_key[:12]}",
            hospital=hospital,
            label=bill_label(hospital, day, invoice_number, settlement_number),
            invoice_key=invoice_key(hospital_code, invoice_number),
            settlement_key=settlement_key(settlement_number),
        ),
        hospital_code=hospital_code,
    )


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
    """Validate and apply records BATCH at a time; yield every outcome in input order."""
    townships = TownshipIndex()
    return in_batches(
        rows,
        validate=staged
        if validated
        else lambda n, raw: validate(raw, row_number=n, townships=townships, today=today),
        apply=lambda pairs: apply(pairs, batch=batch, dry_run=dry_run),
        on_batch=on_batch,
        stage=stage,
    )


def count(batch: IdentityImport, o: Outcome) -> None:
    """What a row adds to the batch's counts: a settlement record new or already held."""
    batch.records_created += o.identity == "created"
    batch.records_unchanged += o.identity == "unchanged"


def done(batch: IdentityImport) -> str:
    return (
        f"医院结算数据导入完成：新增人员 {batch.people_created}，新增结算记录 {batch.records_created}，"
        f"已有记录 {batch.records_unchanged}，有误 {batch.bad_rows} 行"
    )
