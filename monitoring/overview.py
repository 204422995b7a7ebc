"""一屏观救助: the figures of seed 004 二(二)4 for a county or the whole city, one year at a time.

Every chart is built from a table (``Chart.columns`` / ``Chart.rows``); the page draws the chart
from the same rows it prints, and the CSV/XLSX downloads are those rows. Nothing here names a
person: the overview is counts and sums.

Rates (seed 004 一(二)), over people with a hardship identity valid in the year (困难群众):

- 综合保障率 (comprehensive coverage) = (basic + critical-illness insurance + assistance + 一事一议
  + other bodies' help, seed 004 9 梯次减负) / total cost;
- 个人负担率 (personal burden rate) = what the person still bore after all of them / total cost.

Other bodies' help (``relief.Help``) is counted once per row, in the year it relieves; the 梯次减负
chart shows what each layer and each body took off.

The targets are policy parameters (``targets.coverage_rate``, ``targets.burden_rate``); the
hospitals' out-of-list limits too (``hospital.out_of_list_limit.tier3`` …, seed 001 §七(一)).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, ExtractMonth
from django.utils import timezone

from applications.models import Application, HospitalLevel, Status
from applications.workflow import OPEN
from areas.models import County, Institution
from engine.categories import CATEGORIES
from relief.models import Help

from .models import BurdenWarning, BurdenYear, HospitalSettlement, WarningLevel, WarningStatus
from .scope import MONEY, ZERO, Chart, Percent, Scope, _param, rate


def monitored(scope: Scope) -> Chart:
    """People under monitoring by township: warnings of the year not closed, by level."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = (
        BurdenWarning.objects.filter(scope.q("township"), year=scope.year)
        .exclude(status=WarningStatus.CLOSED)
        .values("township_id", "level")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[row["township_id"]][row["level"]] += row["n"]
    levels = [WarningLevel.RETURN, WarningLevel.POVERTY, WarningLevel.PERSON_CAP,
              WarningLevel.HOUSEHOLD_CAP]  # fmt: skip
    table: list[list[Any]] = []
    for t in scope.townships:
        c = counts.get(t.pk, {})
        table.append([t.name, *(c.get(level, 0) for level in levels), sum(c.values())])
    table.sort(key=lambda r: (-r[-1], r[0]))
    return Chart(
        key="monitored",
        title="监测对象分布（按乡镇）",
        columns=["乡镇（街道）", *(level.label for level in levels), "合计"],
        rows=table,
        plot=[1, 2, 3, 4],
        unit="人",
        stacked=True,
        source="recompute",
        note="本年度未办结的预警；同一人因病致贫返贫预警和封顶线预警各计一次。",
        totals=["合计", *(sum(r[i] for r in table) for i in range(1, 6))],
    )


def assistance(scope: Scope) -> Chart:
    """Assistance paid by month and identity: window payments and one-stop hospital assistance."""
    cats = list(CATEGORIES)
    sums: dict[int, dict[str, Decimal]] = {m: defaultdict(lambda: ZERO) for m in range(1, 13)}
    paid = (
        Application.objects.filter(
            scope.q("township"), status=Status.PAID, paid_at__year=scope.year
        )
        .annotate(m=ExtractMonth("paid_at"))
        .values("m", "category")
        # what came back (追回) is not assistance paid
        .annotate(
            s=Sum(
                F("approved_amount") - Coalesce(F("settlement__recovered"), ZERO),
                output_field=MONEY,
            )
        )
        .order_by()
    )
    for row in paid:
        sums[row["m"]][row["category"]] += row["s"] or ZERO
    hospital = (
        HospitalSettlement.objects.filter(
            scope.q("person__township"), day__year=scope.year, assistance_paid__gt=0
        )
        .annotate(m=ExtractMonth("day"))
        .values("m", "category")
        .annotate(s=Sum("assistance_paid", output_field=MONEY))
        .order_by()
    )
    for row in hospital:
        sums[row["m"]][row["category"] or ""] += row["s"] or ZERO
    used = [c for c in cats if any(sums[m].get(c) for m in sums)]
    unlabelled = any(sums[m].get("") for m in sums)
    keys = used + ([""] if unlabelled else [])
    table: list[list[Any]] = [
        [f"{m}月", *(sums[m].get(k, ZERO) for k in keys), sum(sums[m].values(), ZERO)]
        for m in range(1, 13)
    ]
    return Chart(
        key="assistance",
        title="医疗救助金额（按月、按困难身份）",
        columns=["月份", *(CATEGORIES[k][1] if k else "未标注身份" for k in keys), "合计（元）"],
        rows=table,
        plot=list(range(1, len(keys) + 1)),
        unit="元",
        stacked=True,
        note="窗口申请按发放日期计；医院一站式结算的救助按结算日期计。",
        totals=["全年", *(sum((r[i] for r in table), ZERO) for i in range(1, len(keys) + 2))],
    )


RATES_COLUMNS = ["区域", "困难群众人数", "医疗总费用（元）", "三重制度及各方帮扶（元）", "个人负担（元）",
                 "综合保障率", "个人负担率", "综合保障率目标（不低于）", "个人负担率目标（不高于）"]  # fmt: skip


def _area_names(scope: Scope, by_county: bool) -> dict[int, str]:
    """The rows' names: the counties of the scope's townships, or its townships."""
    if by_county:
        counties = County.objects.filter(pk__in={t.county_id for t in scope.townships})
        return {c.pk: c.name for c in counties}
    return {t.pk: t.name for t in scope.townships}


def _rate_rows(
    rows: Any, name: Any, marks: list[Percent | None]
) -> tuple[list[list[Any]], dict[str, Any]]:
    """One row per area (name, people, cost, paid by the three layers, burden, both rates, the
    targets), sorted by name, and the totals."""
    table: list[list[Any]] = []
    totals: dict[str, Any] = {"people": 0, "total": ZERO, "paid": ZERO, "burden": ZERO}
    for row in rows:
        paid = (row["insurance"] or ZERO) + (row["assistance"] or ZERO)
        total, burden = row["total"] or ZERO, row["burden"] or ZERO
        table.append(
            [name(row), row["people"], total, paid, burden, rate(paid, total), rate(burden, total),
             *marks]
        )  # fmt: skip
        totals["people"] += row["people"]
        totals["total"] += total
        totals["paid"] += paid
        totals["burden"] += burden
    table.sort(key=lambda r: r[0])
    return table, totals


def rates(scope: Scope) -> Chart:
    """Comprehensive coverage and personal burden rates of 困难群众, per township or county."""
    by_county = scope.county is None
    group = "township__county_id" if by_county else "township_id"
    rows = (
        BurdenYear.objects.filter(scope.q("township"), year=scope.year)
        .exclude(category="")
        .values(group)
        .annotate(
            people=Count("id"),
            total=Sum("total", output_field=MONEY),
            insurance=Sum("insurance_paid", output_field=MONEY),
            assistance=Sum(
                F("assistance_paid") + F("special_paid") + F("other_help"), output_field=MONEY
            ),
            burden=Sum("burden_after_help", output_field=MONEY),
        )
        .order_by()
    )
    names = _area_names(scope, by_county)
    coverage_target = _param(scope, "targets.coverage_rate")
    burden_target = _param(scope, "targets.burden_rate")
    marks = [Percent(t) if t is not None else None for t in (coverage_target, burden_target)]
    table, totals = _rate_rows(rows, lambda row: names.get(row[group], "—"), marks)
    return Chart(
        key="rates",
        title="困难群众综合保障率与个人负担率",
        columns=RATES_COLUMNS,
        rows=table,
        plot=[5, 6],
        unit="%",
        source="recompute",
        targets=[
            (f"{label} {Percent(value)}", Percent(value))
            for label, value in (
                ("综合保障率目标 ≥", coverage_target),
                ("个人负担率目标 ≤", burden_target),
            )
            if value is not None
        ],
        note="困难群众：年内有有效困难身份的人员；费用含医院一站式结算和窗口申请的票据；"
        "支付含三重制度、一事一议和其他部门、慈善组织的帮扶（每笔只计一次）。",
        totals=[
            scope.label,
            totals["people"],
            totals["total"],
            totals["paid"],
            totals["burden"],
            rate(totals["paid"], totals["total"]),
            rate(totals["burden"], totals["total"]),
            *marks,
        ],
    )


def stages(scope: Scope) -> Chart:
    """Open cases by stage, and how many are past their step's time limit."""
    today = timezone.localdate()
    counts = {
        row["status"]: row
        for row in Application.objects.filter(scope.q("township"), status__in=OPEN)
        .values("status")
        .annotate(n=Count("id"), late=Count("id", filter=Q(step_due_on__lt=today)))
        .order_by()
    }
    table: list[list[Any]] = []
    for status in [s for s in Status.values if s in OPEN]:  # in the order a case moves
        row = counts.get(status, {"n": 0, "late": 0})
        table.append([Status(status).label, row["n"] - row["late"], row["late"], row["n"]])
    return Chart(
        key="stages",
        title="在办申请（按环节、是否超过时限）",
        columns=["环节", "未超时限", "已超时限", "合计"],
        rows=table,
        plot=[1, 2],
        unit="件",
        stacked=True,
        horizontal=True,  # long stage names (待第二审批人审批) read on their own line, never overlap
        note="时限按工作日计；受理、县级审核、发放各环节的时限是本地设定（TIME_LIMIT_*_DAYS，预设各 10 个工作日），方案未规定。",
        totals=["合计", *(sum(r[i] for r in table) for i in range(1, 4))],
    )


def _hospital_rows(scope: Scope) -> list[Any]:
    """Every hospital's year in scope; fetched once per scope (two charts read it)."""
    if scope.hospitals is None:
        scope.hospitals = _fetch_hospital_rows(scope)
    return scope.hospitals


def _fetch_hospital_rows(scope: Scope) -> list[Any]:
    """By hospital and level; the level is the 定点医药机构 register's where it lists the hospital
    (imported after the records, it still decides), else the one the record came with."""
    listed = Institution.objects.filter(code=OuterRef("hospital_code")).values("level")[:1]
    return list(
        HospitalSettlement.objects.filter(scope.q("person__township"), day__year=scope.year)
        .annotate(level=Coalesce(Subquery(listed), F("hospital_level")))
        .values("hospital", "level")
        .annotate(
            n=Count("id"),
            total=Sum("total", output_field=MONEY),
            out=Sum("out_of_list", output_field=MONEY),
        )
        .order_by("-total", "hospital")
    )


def _limit(scope: Scope, level: str) -> Decimal | None:
    value = _param(scope, f"hospital.out_of_list_limit.{level}")
    return value if isinstance(value, Decimal) else None


def hospitals(scope: Scope, top: int = 10) -> Chart:
    """The hospitals with the highest total cost in the year, with their out-of-list share."""
    table: list[list[Any]] = []
    for row in _hospital_rows(scope)[:top]:
        limit = _limit(scope, row["level"])
        share = rate(row["out"], row["total"])
        over = share is not None and limit is not None and share.value > limit
        table.append(
            [
                row["hospital"], HospitalLevel(row["level"]).label, row["n"], row["total"],
                row["out"], share, Percent(limit) if limit is not None else None,
                "超过" if over else "未超过",
            ]
        )  # fmt: skip
    return Chart(
        key="hospitals",
        title=f"医疗费用最高的 {top} 家医疗机构",
        columns=[
            "医疗机构",
            "等级",
            "结算笔数",
            "医疗总费用（元）",
            "目录外费用（元）",
            "目录外费用占比",
            "占比上限",
            "是否超过上限",
        ],
        rows=table,
        plot=[3],
        unit="元",
        horizontal=True,
        note="医院一站式结算记录；上限：三级医疗机构 10%，二级及以下 5%（呼和浩特实施方案 七(一)）。",
    )


def out_of_list(scope: Scope, top: int = 15) -> Chart:
    """Every hospital's out-of-list share against its limit, the highest shares first."""
    table: list[list[Any]] = []
    for row in _hospital_rows(scope):
        limit = _limit(scope, row["level"])
        share = rate(row["out"], row["total"])
        if share is None:
            continue
        table.append(
            [
                row["hospital"], HospitalLevel(row["level"]).label, share,
                Percent(limit) if limit is not None else None, row["total"], row["out"],
                "超过" if limit is not None and share.value > limit else "未超过",
            ]
        )  # fmt: skip
    table.sort(key=lambda r: (-r[2].value, r[0]))
    return Chart(
        key="out_of_list",
        title="医疗机构基本医保目录外费用占比",
        columns=[
            "医疗机构",
            "等级",
            "目录外费用占比",
            "占比上限",
            "医疗总费用（元）",
            "目录外费用（元）",
            "是否超过上限",
        ],
        rows=table[:top],
        plot=[2],
        line=3,
        unit="%",
        flagged=sum(1 for r in table if r[-1] == "超过"),
        note=f"占比最高的 {top} 家；全部 {len(table)} 家见下载文件。" if len(table) > top else "",
    )


def tiers(scope: Scope) -> Chart:
    """梯次减负 (seed 004 9): what each layer and each other body took off the year's medical costs
    of everyone in scope, in the order they come; the rest is what the families still bore."""
    sums = BurdenYear.objects.filter(scope.q("township"), year=scope.year).aggregate(
        total=Sum("total", output_field=MONEY),
        insurance=Sum("insurance_paid", output_field=MONEY),
        assistance=Sum("assistance_paid", output_field=MONEY),
        special=Sum("special_paid", output_field=MONEY),
        help=Sum("other_help", output_field=MONEY),
        burden=Sum("burden_after_help", output_field=MONEY),
    )
    total = sums["total"] or ZERO
    table: list[list[Any]] = [
        ["基本医保和大病保险", sums["insurance"] or ZERO],
        ["医疗救助（含倾斜救助）", sums["assistance"] or ZERO],
        ["一事一议", sums["special"] or ZERO],
    ]
    by_body = (
        Help.objects.filter(scope.q("person__township"), year=scope.year)
        .values("body__name")
        .annotate(s=Sum("amount", output_field=MONEY))
        .order_by("-s", "body__name")
    )
    table += [[f"他方帮扶：{row['body__name']}", row["s"]] for row in by_body]
    table.append(["家庭仍需负担", sums["burden"] or ZERO])
    for row in table:
        row.append(rate(row[1], total))
    return Chart(
        key="tiers",
        title="梯次减负（各层次、各单位减负金额）",
        columns=["层次", "金额（元）", "占医疗总费用"],
        rows=table,
        plot=[1],
        unit="元",
        source="recompute",
        note="按医疗年度计；他方帮扶按帮扶单位分列，每笔只计一次。",
        totals=["医疗总费用", total, rate(total, total)],
    )


CHARTS = {
    "monitored": monitored,
    "assistance": assistance,
    "rates": rates,
    "stages": stages,
    "hospitals": hospitals,
    "out_of_list": out_of_list,
    "tiers": tiers,
}


def chart(scope: Scope, key: str, *, full: bool = False) -> Chart:
    """One chart; ``full`` (downloads) lists every row where the page shows the first ones."""
    if key == "out_of_list" and full:
        return out_of_list(scope, top=100_000)
    return CHARTS[key](scope)


def headline(scope: Scope, charts: dict[str, Chart]) -> dict[str, Any]:
    """The figures at the top of the page."""
    r = charts["rates"].totals
    return {
        "monitored": charts["monitored"].totals[-1] if charts["monitored"].totals else 0,
        "assistance": charts["assistance"].totals[-1] if charts["assistance"].totals else ZERO,
        "coverage": r[5],
        "burden": r[6],
        "coverage_target": r[7],
        "burden_target": r[8],
        "coverage_ok": r[5] is not None and r[7] is not None and r[5].value >= r[7].value,
        "burden_ok": r[6] is not None and r[8] is not None and r[6].value <= r[8].value,
        "late": charts["stages"].totals[2] if charts["stages"].totals else 0,
        "over_limit": charts["out_of_list"].flagged,
        **enrolment_rate(scope),
    }


def enrolment_rate(scope: Scope) -> dict[str, Any]:
    """资助参保率 (seed 004): of the people the year's subsidy rosters entitle (a subsidy owed, not
    dead before the year), how many the tax office's result file reports enrolled."""
    from settlements.models import Enrolment, SubsidyEntry, dead_before_year

    where = Q(roster__county_id=scope.county.pk) if scope.county else Q()
    entitled = SubsidyEntry.objects.filter(where, roster__year=scope.year, amount__gt=0).exclude(
        dead_before_year()
    )
    counts = entitled.aggregate(
        n=Count("id"), enrolled=Count("id", filter=Q(enrolment=Enrolment.ENROLLED))
    )
    return {
        "entitled": counts["n"],
        "enrolled": counts["enrolled"],
        "enrolment_rate": rate(Decimal(counts["enrolled"]), Decimal(counts["n"])),
    }
