"""The national medical-insurance platform's settlement records (国家医疗保障信息平台 结算信息), read as
the platform gives them: the export's CSV or XLSX whose headers are the platform's field codes, or
the JSON its settlement interface returns (``setlinfo`` with its ``setldetail``), columns in any
order, fields the portal does not use ignored.

Every record goes into the one table of settlement records (``HospitalSettlement``), keyed by
``setl_id`` whichever door it came through (this file, the hospitals' simple file, the daily feed):
the same record twice adds nothing. A record that paid medical assistance (``maf_pay`` > 0) enters
the yearly ledger as the one-stop records do (``settlements.ledger.onestop_enter``). A reversal
(``refd_setl_flag`` = 1, naming the record it reverses in ``init_setl_id``) takes the record out:
its ledger entry released, a window bill of it flagged before approval or its money proposed for
recovery after. A bill the window typed by hand (手工录入) is matched to the record when it arrives
(same ``setl_id``, or the same person, hospital, day and total) and any difference is kept for the
reviewer.

Fields the portal reads (the rest of a record is ignored):

| field code                              | used as                                            |
|-----------------------------------------|----------------------------------------------------|
| setl_id                                 | the record's key; the bill's settlement number     |
| init_setl_id, refd_setl_flag            | a reversal (退费结算) and the record it reverses    |
| mdtrt_id, psn_no, medins_setl_id        | kept, shown with the record                        |
| psn_cert_type, certno, psn_name         | the person (居民身份证 only: the registry's key)    |
| insutype, psn_type                      | checked against the code tables, kept              |
| med_type                                | the kind of care (code table's meaning)            |
| fixmedins_code, fixmedins_name          | the hospital, checked against the register (level) |
| begndate, enddate, setl_time            | admission, discharge / visit day                   |
| medfee_sumamt                           | 医疗总费用                                          |
| inscp_scp_amt                           | 政策范围内费用                                      |
| hifp_pay                                | 基本医保统筹基金支付                                 |
| hifmi_pay + hifob_pay                   | 大病保险（居民大病保险、职工大额补助）                |
| maf_pay                                 | 医疗救助基金支付 (one-stop assistance)               |
| fulamt_ownpay_amt                       | 全自费 = 目录外费用 (the out-of-list share)           |
| overlmt_selfpay, preselfpay_amt, act_pay_dedc, oth_pay, fund_pay_sumamt, psn_part_amt, acct_pay, psn_cash_pay | kept with the record |
| setldetail: fund_pay_type, inscp_scp_amt, fund_payamt | kept; codes checked; its 610100 line against maf_pay |
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from applications.models import Application, MedicalExpense, Status
from areas.institutions import code_shape_error
from areas.models import Institution
from beneficiaries.importing import Outcome, TownshipIndex, insert_people, start_outcome
from beneficiaries.models import IdentityImport, Person
from core.crypto import blind_index
from core.formats import yuan
from core.rows import Layout, cell_text, in_batches, insert_rows, staged
from engine.money import parse_amount
from payments.recoveries import recoveries_propose
from settlements.bills import invoice_key, settlement_key
from settlements.ledger import onestop_enter, onestop_release
from settlements.models import LedgerEntry
from settlements.overpaid import Overpaid

from . import hospital_import
from .hospital_import import AMOUNTS, COLUMNS, HospitalRecord, _judged
from .models import HospitalSettlement, PlatformCode

# The fields as the platform names them. The person's two keys take the import runner's names
# (``id_number``, ``name``); every other key is the platform's own field code.
FIELDS = (
    "setl_id", "init_setl_id", "refd_setl_flag", "mdtrt_id", "psn_no", "medins_setl_id",
    "psn_cert_type", "insutype", "psn_type", "med_type", "fixmedins_code", "fixmedins_name",
    "begndate", "enddate", "setl_time", "medfee_sumamt", "inscp_scp_amt", "hifp_pay", "hifmi_pay",
    "hifob_pay", "maf_pay", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
    "act_pay_dedc", "oth_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay",
    "setldetail",
)  # fmt: skip
HEADERS: dict[str, str] = {
    **{f: f for f in FIELDS},
    **{f.upper(): f for f in FIELDS},
    "certno": "id_number", "CERTNO": "id_number", "psn_name": "name", "PSN_NAME": "name",
}  # fmt: skip
LABELS = {f: f for f in FIELDS} | {"id_number": "certno", "name": "psn_name"}
REQUIRED = ("setl_id", "psn_cert_type", "id_number", "name", "med_type", "fixmedins_code",
            "fixmedins_name", "setl_time", "medfee_sumamt", "inscp_scp_amt", "hifp_pay")  # fmt: skip
# kept with the record as the platform gave them (amounts as text, exact)
KEPT = ("mdtrt_id", "psn_no", "medins_setl_id", "overlmt_selfpay", "preselfpay_amt",
        "act_pay_dedc", "oth_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay",
        "fulamt_ownpay_amt", "hifmi_pay", "hifob_pay", "insutype", "psn_type", "psn_cert_type",
        "med_type")  # fmt: skip
PLATFORM_AMOUNTS = ("medfee_sumamt", "inscp_scp_amt", "hifp_pay", "hifmi_pay", "hifob_pay",
                    "maf_pay", "fulamt_ownpay_amt")  # fmt: skip


def json_records(document: Any) -> Iterator[dict[str, Any]]:
    """The settlement records of a JSON document as the platform's interface returns them: one
    answer (``{"output": {"setlinfo": {…}, "setldetail": […]}}``), a list of answers, ``{"setlinfo":
    [...]}``, or a list of ``setlinfo`` objects (each may carry its own ``setldetail``)."""
    items = document if isinstance(document, list) else [document]
    for item in items:
        if not isinstance(item, dict):
            yield item
            continue
        body = item.get("output", item)
        if isinstance(body, dict) and "setlinfo" in body:
            info = body["setlinfo"]
            detail = body.get("setldetail")
            for one in info if isinstance(info, list) else [info]:
                if isinstance(one, dict) and detail is not None and "setldetail" not in one:
                    one = {**one, "setldetail": detail}
                yield one
        else:
            yield body


LAYOUT = Layout(HEADERS, REQUIRED, LABELS, json_records=json_records)


@cache
def _codes_cached(stamp: str) -> dict[str, dict[str, tuple[str, str]]]:
    tables: dict[str, dict[str, tuple[str, str]]] = {t: {} for t in PlatformCode.Table.values}
    for table, code, name, meaning in PlatformCode.objects.values_list(
        "table", "code", "name", "meaning"
    ):
        tables[table][code] = (name, meaning)
    return tables


def code_tables() -> dict[str, dict[str, tuple[str, str]]]:
    """{table: {code: (name, meaning)}}, read once per change of the tables."""
    stamp = f"{PlatformCode.objects.count()}"
    return _codes_cached(stamp)


@dataclass(frozen=True)
class PlatformRecord(HospitalRecord):
    setl_id: str = ""
    reverses: str = ""  # a reversal: the setl_id of the record it reverses
    med_type: str = ""
    insutype: str = ""
    psn_type: str = ""
    mdtrt_id: str = ""
    psn_no: str = ""
    platform: dict[str, Any] | None = None


def _day(value: Any, label: str, errors: list[str]) -> date | None:
    """A platform date or time (``2026-03-15``, ``2026-03-15 10:22:31``, ``20260315``) as its day."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)[:10]
    try:
        if len(text) >= 8 and text[:8].isdigit():
            return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
        return date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        errors.append(f"{label}“{cell_text(value)}”不是有效日期。")
        return None


def _known(tables: dict[str, dict[str, tuple[str, str]]], table: str, code: str) -> bool:
    """A code of a table the portal holds; a table a region has not loaded (psn_type ships empty,
    its codes differ by region) checks nothing."""
    return not tables[table] or code in tables[table]


def _codes_checked(
    raw: dict[str, Any], tables: dict[str, dict[str, tuple[str, str]]], errors: list[str]
) -> dict[str, str]:
    found = {}
    for table in ("psn_cert_type", "med_type", "insutype", "psn_type"):
        code = cell_text(raw.get(table))
        if code and not _known(tables, table, code):
            label = PlatformCode.Table(table).label
            errors.append(
                f"{label}代码“{code}”不在代码表中：请核对，或请管理员在医保平台代码表中增补。"
            )
        found[table] = code
    return found


def _detail_checked(
    raw: Any, tables: dict[str, dict[str, tuple[str, str]]], errors: list[str]
) -> list[dict[str, str]]:
    """``setldetail`` (基金分项): a list of {fund_pay_type, inscp_scp_amt, fund_payamt}, or its
    JSON text in a spreadsheet cell."""
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            errors.append("setldetail 不是有效的 JSON 列表。")
            return []
    if not isinstance(raw, list):
        errors.append("setldetail 应为基金分项的列表。")
        return []
    lines = []
    for line in raw:
        code = cell_text(line.get("fund_pay_type")) if isinstance(line, dict) else ""
        if not code or not _known(tables, "fund_pay_type", code):
            errors.append(f"setldetail 的基金支付类型（fund_pay_type）“{code}”不在代码表中。")
            continue
        lines.append({k: cell_text(line.get(k)) for k in ("fund_pay_type", "inscp_scp_amt",
                                                             "fund_payamt")})  # fmt: skip
    return lines


def _amounts(raw: dict[str, Any], errors: list[str], *, signed: bool = False) -> dict[str, Decimal]:
    found: dict[str, Decimal] = {}
    for key in PLATFORM_AMOUNTS:
        text = cell_text(raw.get(key))
        if not text:
            found[key] = Decimal("0.00")
            continue
        negative = signed and text.startswith("-")
        try:
            value = parse_amount(text[1:] if negative else text, key)
        except ValueError as exc:
            errors.append(str(exc))
            continue
        found[key] = -value if negative else value
    return found


# Long on purpose: one platform record checked field by field, every fault collected (not the
# first only), so the county fixes the export once; the same order as the table above.
def validate(
    raw: dict[str, Any],
    *,
    row_number: int,
    townships: TownshipIndex,
    today: date,
    register: dict[str, Institution],
) -> tuple[PlatformRecord | None, Outcome]:
    out, info = start_outcome(raw, row_number=row_number, layout=LAYOUT, today=today)
    out.warnings.clear()
    errors = out.errors
    tables = code_tables()
    setl_id = cell_text(raw.get("setl_id"))
    if len(setl_id) > 30:
        errors.append("setl_id 超过 30 个字符。")
    flag = cell_text(raw.get("refd_setl_flag"))
    reverses = cell_text(raw.get("init_setl_id")) if flag == "1" else ""
    if flag == "1" and not reverses:
        errors.append("退费结算（refd_setl_flag = 1）须在 init_setl_id 写明被冲销的原结算ID。")
    codes = _codes_checked(raw, tables, errors)
    if (
        codes["psn_cert_type"]
        and tables["psn_cert_type"].get(codes["psn_cert_type"], ("", ""))[1] != "id_card"
    ):
        name = tables["psn_cert_type"].get(codes["psn_cert_type"], ("其他证件", ""))[0]
        errors.append(
            f"证件类型为“{name}”（psn_cert_type {codes['psn_cert_type']}）：本系统按居民身份证号码识别救助对象，"
            "请由窗口核对证件后录入。"
        )  # fmt: skip
    kind = tables["med_type"].get(codes["med_type"], ("", ""))[1] if codes["med_type"] else ""
    if codes["med_type"] and codes["med_type"] in tables["med_type"] and not kind:
        errors.append(
            f"医疗类别 {codes['med_type']} 在本系统没有对应的费用类别（代码表的“本系统的对应”为空）。"
        )
    code = cell_text(raw.get("fixmedins_code")).upper()
    hospital = cell_text(raw.get("fixmedins_name"))[:100]
    institution = register.get(code)
    if code and (problem := code_shape_error(code)):
        errors.append(problem)
    elif code and not register:
        errors.append("定点医药机构名录尚未导入，无法确定医院等级：请管理员先导入名录。")
    elif code and institution is None:
        errors.append(f"定点医药机构编号“{code}”（{hospital}）不在定点医药机构名录中。")
    begin = _day(raw.get("begndate"), "begndate", errors)
    end = _day(raw.get("enddate"), "enddate", errors)
    settled = _day(raw.get("setl_time"), "setl_time", errors)
    amounts = _amounts(raw, errors, signed=bool(reverses))
    detail = _detail_checked(raw.get("setldetail"), tables, errors)
    if reverses:  # a reversal names its record; its own figures are the record's, negated
        if errors or info is None:
            return None, out
        return _reversal(info, setl_id, reverses, cell_text(raw.get("name")), settled), out
    day = end if kind == "inpatient" else (end or begin or settled)
    day = day or settled
    if kind == "inpatient" and begin and end and end < begin:
        errors.append(f"enddate {end} 早于 begndate {begin}。")
    if day and day > today:
        errors.append(f"结算日期 {day} 晚于今天。")
    if len(amounts) == len(PLATFORM_AMOUNTS):
        total, scope = amounts["medfee_sumamt"], amounts["inscp_scp_amt"]
        paid = (
            amounts["hifp_pay"] + amounts["hifmi_pay"] + amounts["hifob_pay"] + amounts["maf_pay"]
        )
        if scope > total:
            errors.append(f"inscp_scp_amt {scope} 大于 medfee_sumamt {total}。")
        if paid > total:
            errors.append(f"统筹、大病、医疗救助共支付 {paid}，大于 medfee_sumamt {total}。")
        if amounts["fulamt_ownpay_amt"] > total:
            errors.append(f"fulamt_ownpay_amt 大于 medfee_sumamt {total}。")
        maf_lines = sum(
            (Decimal(d["fund_payamt"] or "0") for d in detail
             if tables["fund_pay_type"].get(d["fund_pay_type"], ("", ""))[1] == "assistance"),
            Decimal("0"),
        )  # fmt: skip
        if detail and maf_lines != amounts["maf_pay"]:
            out.warnings.append(
                f"基金分项的医疗救助基金合计 {maf_lines} 与 maf_pay {amounts['maf_pay']} 不一致，按 maf_pay 计。"
            )
    if errors or info is None or day is None or institution is None or not kind:
        return None, out
    platform: dict[str, Any] = {k: cell_text(raw.get(k)) for k in KEPT if cell_text(raw.get(k))}
    if detail:
        platform["setldetail"] = detail
    mapped = {
        "total": amounts["medfee_sumamt"], "policy_scope": amounts["inscp_scp_amt"],
        "basic_paid": amounts["hifp_pay"],
        "critical_paid": amounts["hifmi_pay"] + amounts["hifob_pay"],
        "out_of_list": amounts["fulamt_ownpay_amt"], "assistance_paid": amounts["maf_pay"],
    }  # fmt: skip
    return PlatformRecord(
        id_index=blind_index(Person, info.number), id_tail=info.number[-4:], id_number=info.number,
        name=cell_text(raw.get("name"))[:50], township_id=None, birth_date=info.birth_date,
        sex=info.sex, place=info.place, id_warning=info.warnings[0] if info.warnings else "",
        record_key=record_key(setl_id), settlement_number=setl_id, hospital=hospital,
        hospital_code=code, invoice_number="", hospital_level=institution.level, kind=kind,
        category="", admitted_on=begin if kind == "inpatient" else None, day=day, amounts=mapped,
        setl_id=setl_id, med_type=codes["med_type"], insutype=codes["insutype"],
        psn_type=codes["psn_type"], mdtrt_id=cell_text(raw.get("mdtrt_id"))[:30],
        psn_no=cell_text(raw.get("psn_no"))[:30], platform=platform,
    ), out  # fmt: skip


def _reversal(
    info: Any, setl_id: str, reverses: str, name: str, day: date | None
) -> PlatformRecord:
    zero = Decimal("0.00")
    return PlatformRecord(
        id_index=blind_index(Person, info.number), id_tail=info.number[-4:], id_number=info.number,
        name=name[:50], township_id=None, birth_date=info.birth_date, sex=info.sex,
        place=info.place, id_warning="", record_key=record_key(setl_id), settlement_number=setl_id,
        hospital="", hospital_code="", invoice_number="", hospital_level="", kind="", category="",
        admitted_on=None, day=day or timezone.localdate(), amounts={k: zero for k in AMOUNTS},
        setl_id=setl_id, reverses=reverses, platform={},
    )  # fmt: skip


def record_key(setl_id: str) -> str:
    """A platform record's key in the table: its setl_id."""
    return hashlib.sha256(f"S|{setl_id}".encode()).hexdigest()


PLATFORM_COLUMNS = [*COLUMNS, "origin", "setl_id", "mdtrt_id", "psn_no", "med_type", "insutype",
                    "psn_type", "hospital_listed", "platform", "reversed_by", "reversal_reason"]  # fmt: skip


def apply(
    pairs: list[tuple[PlatformRecord, Outcome]], *, batch: IdentityImport | None, dry_run: bool
) -> None:
    """Write one batch: the records in force, then the reversals (a record and its reversal may
    come in the same batch)."""
    if not pairs:
        return
    records = [(r, o) for r, o in pairs if not r.reverses]
    reversals = [(r, o) for r, o in pairs if r.reverses]
    with transaction.atomic():
        known = Person.objects.filter(
            id_index__any_of=list({r.id_index for r, _ in pairs})
        ).values_list("id_index", "pk", "name")
        people = {index: pk for index, pk, _ in known}
        names = {index: name for index, _, name in known}
        held = set(
            HospitalSettlement.all_records.filter(
                setl_id__in=[r.setl_id for r, _ in records]
            ).values_list("setl_id", flat=True)
        )
        held_keys = {record_key(s) for s in held}
        new_people, new_records = _judged(records, people, names, held_keys)
        if dry_run:
            _judge_reversals(reversals, {r.setl_id for r in new_records})
            return
        people.update(insert_people(new_people))
        now = timezone.now()
        insert_rows(
            HospitalSettlement,
            PLATFORM_COLUMNS,
            [[people[r.id_index], r.record_key, r.settlement_number, r.hospital, r.hospital_code,
              r.invoice_number, invoice_key(r.hospital_code, r.invoice_number),
              settlement_key(r.settlement_number), r.hospital_level, r.kind, r.category,
              r.admitted_on, r.day, *(r.amounts[k] for k in AMOUNTS),
              batch.pk if batch else None, now, HospitalSettlement.Origin.PLATFORM, r.setl_id,
              r.mdtrt_id, r.psn_no, r.med_type, r.insutype, r.psn_type, True,
              json.dumps(r.platform or {}, ensure_ascii=False), "", ""] for r in new_records],
        )  # fmt: skip
        overpaid = onestop_enter(
            [hospital_import.onestop(people[r.id_index], r) for r in new_records
             if r.amounts["assistance_paid"]]
        )  # fmt: skip
        if overpaid:
            recoveries_propose(overpaid)
        hand_bills_match([(people[r.id_index], r) for r in new_records])
        reversals_apply(reversals, reason_of=lambda r: f"医保平台退费结算 {r.setl_id} 冲销")


def _judge_reversals(reversals: list[tuple[PlatformRecord, Outcome]], coming: set[str]) -> None:
    """The check's word on each reversal: its record held, coming in this file, or missing."""
    found = dict(
        HospitalSettlement.all_records.filter(
            setl_id__in=[r.reverses for r, _ in reversals]
        ).values_list("setl_id", "reversed_by")
    )
    for r, out in reversals:
        out.person = "unchanged"
        if r.reverses in found:
            out.identity = "unchanged" if found[r.reverses] == r.setl_id else "created"
        elif r.reverses in coming:
            out.identity = "created"
        else:
            out.errors.append(f"被冲销的原结算ID {r.reverses} 尚未导入：请先导入原结算记录。")
            out.person = ""


def reversals_apply(reversals: list[tuple[Any, Outcome]], *, reason_of: Any) -> None:
    """Each reversal: its record marked reversed (it then counts nowhere), its one-stop ledger
    entry released, and the window bills of the same settlement flagged (a case not approved yet)
    or proposed for recovery (approved or paid)."""
    if not reversals:
        return
    originals = {
        h.setl_id: h
        for h in HospitalSettlement.all_records.select_for_update().filter(
            setl_id__in=[r.reverses for r, _ in reversals]
        )
    }
    now = timezone.now()
    for r, out in reversals:
        out.person = "unchanged"
        original = originals.get(r.reverses)
        if original is None:
            out.errors.append(f"被冲销的原结算ID {r.reverses} 尚未导入：请先导入原结算记录。")
            out.person = ""
            continue
        if original.reversed_at is not None:
            out.identity = "unchanged"
            out.warnings.append(f"原结算ID {r.reverses} 已冲销过，不重复处理。")
            continue
        reason = reason_of(r)[:200]
        original.reversed_at, original.reversed_by, original.reversal_reason = (
            now,
            r.setl_id,
            reason,
        )
        original.save(update_fields=["reversed_at", "reversed_by", "reversal_reason"])
        out.identity = "created"
        found = onestop_release(record_keys=[original.record_key], reason=reason)
        found += _window_bills_reversed(original, reason)
        if found:
            recoveries_propose(found)
        out.warnings.append(f"已冲销原结算 {r.reverses}：{reason}")


def _window_bills_reversed(original: HospitalSettlement, reason: str) -> list[Overpaid]:
    """The window bills of a reversed settlement: flagged while their case is undecided; a case
    approved or paid on them gets a recovery proposed for the bill's assistance."""
    key = settlement_key(original.setl_id)
    found: list[Overpaid] = []
    bills = MedicalExpense.objects.filter(settlement_key=key).select_related("application")
    for bill in bills:
        app: Application = bill.application
        if app.status in (Status.APPROVED, Status.PAID):
            continue  # the ledger entry below names the money
        bill.reversed_note = f"医保平台已冲销这笔结算（{reason}）"[:200]
        bill.save(update_fields=["reversed_note"])
    for entry in LedgerEntry.objects.filter(
        settlement_key=key, source=LedgerEntry.Source.WINDOW, released_at__isnull=True
    ).select_related("settlement"):
        if entry.settlement is None or entry.assistance <= 0:
            continue
        amount = min(entry.assistance, entry.settlement.unrecovered)
        if amount > 0:
            found.append(
                Overpaid(
                    entry.settlement, amount, False,
                    f"医保平台已冲销结算 {original.setl_id}（{reason}），该票据获得的医疗救助 {yuan(amount)} 元应追回",
                )
            )  # fmt: skip
    return found


# label, the bill's field, the record's field
COMPARED = (("医疗机构编码", "hospital_code", "hospital_code"), ("费用类别", "kind", "kind"),
            ("医疗总费用", "total", "total"), ("政策范围内费用", "policy_scope", "policy_scope"),
            ("基本医保支付", "basic_paid", "basic_paid"),
            ("大病保险支付", "critical_paid", "critical_paid"))  # fmt: skip


def hand_bills_match(arrived: list[tuple[int, PlatformRecord]]) -> int:
    """Hand bills (手工录入) the arriving records match: the same setl_id typed as the settlement
    number, or the same person, hospital code, day and total. Each is marked checked, with the
    figures that differ (as typed, as the platform has them) for the reviewer. How many."""
    if not arrived:
        return 0
    by_key = {settlement_key(r.setl_id): r for _, r in arrived}
    by_facts: dict[tuple[int, str, date | None, Decimal], PlatformRecord] = {
        (p, r.hospital_code, r.day, r.amounts["total"]): r for p, r in arrived
    }
    persons = {p for p, _ in arrived}
    candidates = (
        MedicalExpense.objects.filter(source="hand", checked_at__isnull=True)
        .filter(Q(settlement_key__in=list(by_key)) | Q(application__person_id__in=persons))
        .select_related("application")
    )
    now = timezone.now()
    matched = []
    for bill in candidates:
        r = by_key.get(bill.settlement_key) or by_facts.get(
            (bill.application.person_id, bill.hospital_code, bill.day, bill.total)
        )
        if r is None:
            continue
        figures = {**r.amounts, "hospital_code": r.hospital_code, "kind": r.kind}
        bill.differences = [
            [label, _shown(getattr(bill, mine)), _shown(figures[theirs])]
            for label, mine, theirs in COMPARED
            if getattr(bill, mine) != figures[theirs]
        ]
        bill.checked_at, bill.checked_setl_id = now, r.setl_id
        matched.append(bill)
    MedicalExpense.objects.bulk_update(matched, ["differences", "checked_at", "checked_setl_id"])
    return len(matched)


def _shown(value: Any) -> str:
    return yuan(value) if isinstance(value, Decimal) else str(value)


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
    townships = TownshipIndex()
    register = {i.code: i for i in Institution.objects.filter(active=True)}
    return in_batches(
        rows,
        validate=staged
        if validated
        else lambda n, raw: validate(
            raw, row_number=n, townships=townships, today=today, register=register
        ),
        apply=lambda pairs: apply(pairs, batch=batch, dry_run=dry_run),
        on_batch=on_batch,
        stage=stage,
    )


def count(batch: IdentityImport, o: Outcome) -> None:
    batch.records_created += o.identity == "created"
    batch.records_unchanged += o.identity == "unchanged"


def done(batch: IdentityImport) -> str:
    return (
        f"医保平台结算数据导入完成：新增结算记录 {batch.records_created}（含冲销），"
        f"已有记录 {batch.records_unchanged}，有误 {batch.bad_rows} 行"
    )


def bill_of(setl_id: str, person_id: int) -> dict[str, Any] | str:
    """A window bill's figures from the person's platform record ``setl_id``, or why not (the
    record unknown, another person's, reversed, or already assisted)."""
    record = (
        HospitalSettlement.all_records.filter(setl_id=setl_id)
        .select_related("person__township")
        .first()
    )
    if record is None or record.person_id != person_id:
        return (
            f"没有找到本人的结算ID“{setl_id}”的医保平台结算记录：可能尚未导入，请按结算单手工录入。"
        )
    if record.reversed_at is not None:
        return f"结算ID“{setl_id}”已在医保平台冲销（{record.reversal_reason}），不能再申请救助。"
    return {
        "hospital": record.hospital, "hospital_code": record.hospital_code,
        "settlement_number": record.setl_id, "hospital_level": record.hospital_level,
        "kind": record.kind, "admitted_on": record.admitted_on,
        # 自治区内就医: the institution's province (its code's 区划) is the person's
        "in_region": record.hospital_code[1:3] == record.person.township.code[:2],
        "discharged_on": record.day if record.kind == "inpatient" else None,
        "visit_on": None if record.kind == "inpatient" else record.day,
        "total": record.total, "policy_scope": record.policy_scope,
        "basic_paid": record.basic_paid, "critical_paid": record.critical_paid,
        "assistance_paid": record.assistance_paid,
    }  # fmt: skip


def open_records(person_id: int) -> list[HospitalSettlement]:
    """The person's platform records in force that no window bill holds yet, newest first."""
    taken = (
        MedicalExpense.objects.filter(application__person_id=person_id)
        .exclude(settlement_key="")
        .values_list("settlement_key", flat=True)
    )
    return list(
        HospitalSettlement.objects.filter(person_id=person_id, origin="platform")
        .exclude(settlement_key__in=taken)
        .order_by("-day", "-id")[:20]
    )


__all__ = ["LAYOUT", "PlatformRecord", "bill_of", "hand_bills_match", "open_records"]
