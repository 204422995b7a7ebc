"""医疗机构主动排摸 (seed 004 2: 各服务站将预期产生大额医疗费用支出的住院患者信息主动推送至医保部门，
为其开通救助帮扶绿色通道): a hospital's early report of an inpatient, read in the platform's own field
codes where it has them (the 入院办理 record: ``ipt_no``, ``psn_name``, ``certno``, ``begntime``,
``adm_diag_dscr``, ``adm_dept_name``, ``adm_bed``) or their Chinese headers; the expected total has
no platform code (``expt_sumfee``, 预计医疗总费用). The person's township sees it at once; the
settlement record closes it when it arrives (``monitoring`` matches them, ``early_reports_close``).

"Large" has no number in the seed: ``early.threshold`` is a local setting (本地设定) of the policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from applications.eligibility import onestop_categories
from applications.models import Application
from areas.models import County, Institution
from audit.events import Event
from audit.services import record, record_by_system
from beneficiaries.idnumber import parse
from beneficiaries.models import Person
from core.formats import yuan
from core.forms import plain_text
from core.rows import Layout, cell_text
from engine.categories import CATEGORIES, most_favourable
from settlements.policies import load
from settlements.services import identities_of, policy_for

from .models import EARLY_STATES, EarlyReport

MAX_ROWS = 500

# each field: the platform's code first, then the headers hospitals write
FIELDS: dict[str, tuple[str, ...]] = {
    "reference": ("ipt_no", "住院号", "报送编号"),
    "name": ("psn_name", "姓名"),
    "id_number": ("certno", "身份证号码", "证件号码"),
    "admitted_on": ("begntime", "入院日期", "入院时间"),
    "expected_total": ("expt_sumfee", "预计医疗总费用", "预计总费用"),
    "diagnosis": ("adm_diag_dscr", "入院诊断", "诊断"),
    "dept": ("adm_dept_name", "科室"),
    "bed": ("adm_bed", "床号"),
}


@dataclass(frozen=True)
class Outcome:
    row: int
    status: str  # created / unchanged / refused
    errors: tuple[str, ...] = ()
    report: EarlyReport | None = None


LAYOUT = Layout(
    # lower case: a code matches whatever its case (the Chinese headers are unchanged by it)
    headers={name.lower(): key for key, names in FIELDS.items() for name in (*names, key)},
    required=("reference", "name", "id_number", "admitted_on", "expected_total", "diagnosis"),
    labels={key: names[1] for key, names in FIELDS.items()},
)  # fmt: skip


def _value(raw: Mapping[str, Any], field: str) -> str:
    """The field from a record keyed by our keys, the platform's codes or the Chinese headers."""
    for name, value in raw.items():
        text = str(name).strip()
        key = LAYOUT.headers.get(text.lower())
        if key == field and value not in (None, ""):
            return cell_text(value).strip()
    return ""


def _admitted(text: str) -> date:
    text = text.strip().replace("/", "-")
    try:
        return date.fromisoformat(text[:10] if "-" in text else text[:8])
    except ValueError:
        raise ValidationError(f"入院日期“{text}”无效，应为 2026-03-01 这样的日期。") from None


def threshold_of(institution: Institution, day: date) -> Decimal | None:
    county = County.objects.filter(code=institution.region).select_related("city").first()
    if county is None:
        return None
    params = load(county.city.policy_code).at(day)
    return Decimal(params["early.threshold"]) if params.has("early.threshold") else None


def _read(raw: Mapping[str, Any], institution: Institution, today: date) -> dict[str, Any]:
    errors: list[str] = []
    out: dict[str, Any] = {f: _value(raw, f) for f in FIELDS}
    for f, text in out.items():
        try:
            plain_text(text)
        except ValidationError:
            raise ValidationError(f"{FIELDS[f][1]}含有无法保存的控制字符") from None
    for f, label in (("reference", "住院号"), ("name", "姓名"), ("id_number", "身份证号码"),
                     ("admitted_on", "入院日期"), ("expected_total", "预计医疗总费用"),
                     ("diagnosis", "入院诊断")):  # fmt: skip
        if not out[f]:
            errors.append(f"缺少{label}（{FIELDS[f][0]}）")
    if errors:
        raise ValidationError(errors)
    try:
        out["id_number"] = parse(out["id_number"], today=today).number
    except ValidationError as exc:
        errors += [m for m in exc.messages]
    try:
        out["admitted_on"] = _admitted(out["admitted_on"])
        if out["admitted_on"] > today:
            errors.append(f"入院日期 {out['admitted_on']} 晚于今天")
    except ValidationError as exc:
        errors += exc.messages
    try:
        total = Decimal(out["expected_total"].replace(",", ""))
        if not total.is_finite() or total <= 0 or total != total.quantize(Decimal("0.01")):
            raise InvalidOperation
        out["expected_total"] = total
    except InvalidOperation:
        errors.append(f"预计医疗总费用“{out['expected_total']}”不是正的金额（元，到分）")
    for f, limit in (("reference", 60), ("name", 50), ("diagnosis", 200)):
        if len(str(out[f])) > limit:
            errors.append(f"{FIELDS[f][1]}最多 {limit} 字")
    if errors:
        raise ValidationError(errors)
    line = threshold_of(institution, out["admitted_on"])
    if line is not None and out["expected_total"] < line:
        raise ValidationError(
            f"预计医疗总费用 {yuan(out['expected_total'])} 元低于报送标准 {yuan(line)} 元，不必报送"
        )
    return out


def early_reports_receive(
    *, institution: Institution, rows: Iterable[Mapping[str, Any]], actor: User | None,
    via_key: bool,
) -> list[Outcome]:  # fmt: skip
    """Take a hospital's reports, each on its own: a refused row changes nothing."""
    today = timezone.localdate()
    region_county = County.objects.filter(code=institution.region).first()
    outcomes: list[Outcome] = []
    for n, raw in enumerate(rows, start=1):
        if not isinstance(raw, Mapping):
            outcomes.append(Outcome(n, "refused", ("每条记录应为一个对象（字段: 值）",)))
            continue
        try:
            data = _read(raw, institution, today)
        except ValidationError as exc:
            outcomes.append(Outcome(n, "refused", tuple(exc.messages)))
            continue
        person = (
            Person.objects.with_id_number(data["id_number"])
            .select_related("township__county")
            .first()
        )
        township = person.township if person else None
        ward = "　".join(x for x in (data["dept"], data["bed"]) if x)[:100]
        try:
            with transaction.atomic():
                report = EarlyReport.objects.create(
                    institution=institution, reference=data["reference"], person=person,
                    name=data["name"], id_number=data["id_number"], township=township,
                    county=township.county if township else region_county,
                    admitted_on=data["admitted_on"], expected_total=data["expected_total"],
                    diagnosis=data["diagnosis"], ward=ward, via_key=via_key,
                )  # fmt: skip
        except IntegrityError:
            outcomes.append(Outcome(n, "unchanged", ("该住院号已报送过",)))
            continue
        record(
            actor=actor,
            event=Event.EARLY_RECEIVED,
            target=report,
            summary=f"{institution.name} 预报住院患者 {report.name}，预计 "
            f"{yuan(report.expected_total)} 元" + ("" if person else "（不在救助对象库）"),
        )
        outcomes.append(Outcome(n, "created", (), report))
    return outcomes


@transaction.atomic
def early_report_contact(*, report: EarlyReport, note: str, actor: User) -> EarlyReport:
    item = EarlyReport.objects.select_for_update().get(pk=report.pk)
    note = plain_text(note)
    if item.state not in (EarlyReport.State.OPEN, EarlyReport.State.CONTACTED):
        raise ValidationError(f"该预报已是“{item.get_state_display()}”。", code="final")
    if not note or len(note) > 200:
        raise ValidationError("请写明联系情况（如：已电话联系家属，告知救助政策），最多 200 字。")
    EARLY_STATES.step(item, EarlyReport.State.CONTACTED)
    item.contact_note = note
    item.save(update_fields=["state", "contact_note"])
    record(actor=actor, event=Event.EARLY_CONTACTED, target=item, summary=f"{item.name}：{note}")
    return item


@transaction.atomic
def early_report_case(*, report: EarlyReport, application: Any, actor: User | None) -> None:
    """The case the township started from the report (before discharge)."""
    updated = EARLY_STATES.move_many(
        EarlyReport.objects.filter(pk=report.pk), EarlyReport.State.CASE, application=application
    )
    if updated:
        record(
            actor=actor,
            event=Event.EARLY_CASE,
            target=report,
            summary=f"{report.name} 由大额费用预报发起申请 {application.number}",
        )


def early_reports_close(matches: list[tuple[int, str]]) -> int:
    """Close reports by the settlement records that arrived: (report id, record key)."""
    if not matches:
        return 0
    now = timezone.now()
    closed = []
    with transaction.atomic():
        for pk, key in matches:
            if EARLY_STATES.move_many(
                EarlyReport.objects.filter(pk=pk), EarlyReport.State.CLOSED,
                closed_by=key[:64], closed_at=now,
            ):  # fmt: skip
                closed.append(pk)
        rows = EarlyReport.objects.filter(pk__in=closed).select_related("township")
        record_by_system(
            event=Event.EARLY_CLOSED,
            model=EarlyReport,
            rows=(
                (r.pk, str(r), r.township_id, r.county_id, f"{r.name} 结算记录 {key} 已到达")
                for r, key in ((r, dict(matches)[r.pk]) for r in rows)
            ),
        )
    return len(closed)


def early_reports_link(reports: list[EarlyReport]) -> None:
    """A report whose person has had a case started since it arrived (from the report's 发起申请,
    or at the window) is that case's: linked, and audited, when the list is read."""
    waiting = [r for r in reports if r.person_id and r.state in ("open", "contacted")]
    if not waiting:
        return
    cases: dict[int, Application] = {}
    for case in Application.objects.filter(
        person_id__in=[r.person_id for r in waiting],
        created_at__gte=min(r.reported_at for r in waiting),
    ).order_by("-created_at"):
        cases[case.person_id] = case  # the earliest case wins
    for r in waiting:
        found = cases.get(r.person_id or 0)
        if found is not None and found.created_at >= r.reported_at:
            early_report_case(report=r, application=found, actor=None)
            r.refresh_from_db(fields=["state", "application"])


@dataclass(frozen=True)
class Assessment:
    """What the township checks first for a reported inpatient (seed 004 2, the green channel)."""

    in_registry: bool
    category: str  # the identity valid on admission, its label; "" when none
    onestop: bool  # the hospital settles the three layers at discharge (一站式, seed 001 §七(一))
    illness_check: bool  # no direct identity: the 因病致贫 pre-check is worth starting


def assessment(report: EarlyReport) -> Assessment:
    if report.person is None:
        return Assessment(False, "", False, True)
    best = most_favourable(identities_of(report.person), report.admitted_on)
    if best is None:
        return Assessment(True, "", False, True)
    policy = policy_for(report.person)
    onestop = best.category in onestop_categories(policy, report.admitted_on)
    return Assessment(True, CATEGORIES[best.category][1], onestop, not onestop)
