"""Reading a platform settlement record: the fields by their codes, the JSON's records, the code
tables, and the check of one record (``validate``). See the package's docstring for the fields."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils import timezone

from areas.institutions import code_shape_error
from areas.models import Institution
from beneficiaries.importing import Outcome, TownshipIndex, start_outcome
from beneficiaries.models import Person
from core.crypto import blind_index
from core.rows import Layout, cell_day, cell_text
from engine.money import parse_amount

from ..hospital_import import AMOUNTS, HospitalRecord
from ..models import PlatformCode

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


SHIPPED = Path(__file__).resolve().parent / "codes.json"


def code_tables() -> dict[str, dict[str, tuple[str, str]]]:
    """{table: {code: (name, meaning)}}: the platform's codes as shipped (``codes.json``), with
    the region's own codes (``PlatformCode`` rows, which also override a shipped one). Read once
    per file (``process``), not once per row."""
    shipped = json.loads(SHIPPED.read_text(encoding="utf-8"))
    tables: dict[str, dict[str, tuple[str, str]]] = {
        t: {code: (name, meaning) for code, name, meaning in shipped.get(t, [])}
        for t in PlatformCode.Table.values
    }
    for table, code, name, meaning in PlatformCode.objects.values_list(
        "table", "code", "name", "meaning"
    ):
        tables[table][code] = (name, meaning)
    return tables


@dataclass(frozen=True)
class PlatformRecord(HospitalRecord):
    setl_id: str = ""
    reverses: str = ""  # a reversal: the setl_id of the record it reverses
    replaces: str = ""  # a settlement made again: the setl_id of the one it replaces
    med_type: str = ""
    insutype: str = ""
    psn_type: str = ""
    mdtrt_id: str = ""
    psn_no: str = ""
    platform: dict[str, Any] | None = None


def _known(tables: dict[str, dict[str, tuple[str, str]]], table: str, code: str) -> bool:
    """A code of a table the portal holds; a table a region has not loaded (psn_type ships empty,
    its codes differ by region) checks nothing."""
    return not tables[table] or code in tables[table]


def _codes_checked(
    raw: dict[str, Any], tables: dict[str, dict[str, tuple[str, str]]], errors: list[str]
) -> dict[str, str]:
    found = {}
    for table in ("psn_cert_type", "med_type", "insutype", "psn_type"):
        code = raw.get(table, "")
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
        text = raw.get(key, "")
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


def _problems(
    raw: dict[str, Any],
    tables: dict[str, dict[str, tuple[str, str]]],
    register: dict[str, Institution],
    errors: list[str],
) -> tuple[dict[str, str], str, Institution | None]:
    """The record's codes, its kind of care and its institution, each checked."""
    codes = _codes_checked(raw, tables, errors)
    cert = codes["psn_cert_type"]
    if cert and tables["psn_cert_type"].get(cert, ("", ""))[1] != "id_card":
        name = tables["psn_cert_type"].get(cert, ("其他证件", ""))[0]
        errors.append(
            f"证件类型为“{name}”（psn_cert_type {cert}）：本系统按居民身份证号码识别救助对象，"
            "请由窗口核对证件后录入。"
        )
    med = codes["med_type"]
    kind = tables["med_type"].get(med, ("", ""))[1] if med else ""
    if med and med in tables["med_type"] and not kind:
        errors.append(f"医疗类别 {med} 在本系统没有对应的费用类别（代码表的“本系统的对应”为空）。")
    code = raw.get("fixmedins_code", "").upper()
    institution = register.get(code)
    if code and (problem := code_shape_error(code)):
        errors.append(problem)
    elif code and not register:
        errors.append("定点医药机构名录尚未导入，无法确定医院等级：请管理员先导入名录。")
    elif code and institution is None:
        hospital = raw.get("fixmedins_name", "")[:100]
        errors.append(f"定点医药机构编号“{code}”（{hospital}）不在定点医药机构名录中。")
    return codes, kind, institution


def _sums_checked(
    amounts: dict[str, Decimal],
    detail: list[dict[str, str]],
    tables: dict[str, dict[str, tuple[str, str]]],
    out: Outcome,
) -> None:
    """The parts within the total; the fund lines' 医疗救助基金 against maf_pay (a warning)."""
    if len(amounts) != len(PLATFORM_AMOUNTS):
        return
    total, scope = amounts["medfee_sumamt"], amounts["inscp_scp_amt"]
    paid = amounts["hifp_pay"] + amounts["hifmi_pay"] + amounts["hifob_pay"] + amounts["maf_pay"]
    if scope > total:
        out.errors.append(f"inscp_scp_amt {scope} 大于 medfee_sumamt {total}。")
    if paid > total:
        out.errors.append(f"统筹、大病、医疗救助共支付 {paid}，大于 medfee_sumamt {total}。")
    if amounts["fulamt_ownpay_amt"] > total:
        out.errors.append(f"fulamt_ownpay_amt 大于 medfee_sumamt {total}。")
    layer = tables["fund_pay_type"]
    maf_lines = sum(
        (Decimal(d["fund_payamt"] or "0") for d in detail
         if layer.get(d["fund_pay_type"], ("", ""))[1] == "assistance"),
        Decimal("0"),
    )  # fmt: skip
    if detail and maf_lines != amounts["maf_pay"]:
        out.warnings.append(
            f"基金分项的医疗救助基金合计 {maf_lines} 与 maf_pay {amounts['maf_pay']} 不一致，按 maf_pay 计。"
        )


def validate(
    raw: dict[str, Any],
    *,
    row_number: int,
    townships: TownshipIndex,
    today: date,
    register: dict[str, Institution],
    tables: dict[str, dict[str, tuple[str, str]]],
) -> tuple[PlatformRecord | None, Outcome]:
    """One record checked field by field, every fault collected (not the first only), so the
    county fixes the export once; cleaned, or None with every reason in the outcome."""
    raw = {k: v if k == "setldetail" else cell_text(v) for k, v in raw.items()}  # once a cell
    out, info = start_outcome(raw, row_number=row_number, layout=LAYOUT, today=today)
    out.warnings.clear()
    errors = out.errors
    setl_id = raw.get("setl_id", "")
    if len(setl_id) > 30:
        errors.append("setl_id 超过 30 个字符。")
    flag, init = raw.get("refd_setl_flag", ""), raw.get("init_setl_id", "")
    reverses = init if flag == "1" else ""  # a reversal (退费结算) of the record init names
    if flag == "1" and not reverses:
        errors.append("退费结算（refd_setl_flag = 1）须在 init_setl_id 写明被冲销的原结算ID。")
    codes, kind, institution = _problems(raw, tables, register, errors)
    begin = cell_day(raw.get("begndate"), "begndate", errors)
    end = cell_day(raw.get("enddate"), "enddate", errors)
    settled = cell_day(raw.get("setl_time"), "setl_time", errors)
    amounts = _amounts(raw, errors, signed=bool(reverses))
    detail = _detail_checked(raw.get("setldetail"), tables, errors)
    if reverses:  # a reversal names its record; its own figures are the record's, negated
        if errors or info is None:
            return None, out
        return _reversal(info, setl_id, reverses, raw.get("name", ""), settled), out
    day = (end if kind == "inpatient" else (end or begin)) or settled
    if kind == "inpatient" and begin and end and end < begin:
        errors.append(f"enddate {end} 早于 begndate {begin}。")
    if day and day > today:
        errors.append(f"结算日期 {day} 晚于今天。")
    _sums_checked(amounts, detail, tables, out)
    if errors or info is None or day is None or institution is None or not kind:
        return None, out
    platform: dict[str, Any] = {k: v for k in KEPT if (v := raw.get(k))}
    if detail:
        platform["setldetail"] = detail
    return PlatformRecord(
        id_index=blind_index(Person, info.number), id_tail=info.number[-4:], id_number=info.number,
        name=raw.get("name", "")[:50], township_id=None, birth_date=info.birth_date,
        sex=info.sex, place=info.place, id_warning=info.warnings[0] if info.warnings else "",
        record_key=record_key(setl_id), settlement_number=setl_id,
        hospital=raw.get("fixmedins_name", "")[:100], hospital_code=institution.code,
        invoice_number="", hospital_level=institution.level, kind=kind, category="",
        admitted_on=begin if kind == "inpatient" else None, day=day, amounts=_layers(amounts),
        setl_id=setl_id, med_type=codes["med_type"], insutype=codes["insutype"],
        psn_type=codes["psn_type"], mdtrt_id=raw.get("mdtrt_id", "")[:30],
        psn_no=raw.get("psn_no", "")[:30], platform=platform,
        replaces=init if init and init != setl_id else "",  # re-settled under a new setl_id
    ), out  # fmt: skip


def _layers(amounts: dict[str, Decimal]) -> dict[str, Decimal]:
    """The platform's amounts as the three layers and the out-of-list share."""
    return {
        "total": amounts["medfee_sumamt"], "policy_scope": amounts["inscp_scp_amt"],
        "basic_paid": amounts["hifp_pay"],
        "critical_paid": amounts["hifmi_pay"] + amounts["hifob_pay"],
        "out_of_list": amounts["fulamt_ownpay_amt"], "assistance_paid": amounts["maf_pay"],
    }  # fmt: skip


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
