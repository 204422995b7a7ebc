"""一屏观救助 on a hand-made year: the rates, the hospitals' limits, the tables and the files."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AuditEvent
from monitoring import overview as ov
from monitoring.scope import scope_for

from .data import YEAR

pytestmark = pytest.mark.django_db


def scope(user, county=None):
    return scope_for(user, year=YEAR, county_id=county)


def test_city_rates_over_people_with_an_identity(world, overview_data):
    s = scope(world.users["admin"])
    rates = ov.rates(s)
    # 甲 + 乙 + 丁: total 40,000; insurance 24,000 + assistance 8,000 = 32,000; burden 8,000
    assert rates.totals[:5] == [
        "全市",
        3,
        Decimal("40000.00"),
        Decimal("32000.00"),
        Decimal("8000.00"),
    ]
    assert (str(rates.totals[5]), str(rates.totals[6])) == ("80.0%", "20.0%")
    assert (str(rates.totals[7]), str(rates.totals[8])) == ("85.0%", "15.0%")  # targets from 2025
    by_county = {r[0]: (str(r[5]), str(r[6])) for r in rates.rows}
    assert by_county == {"土默特左旗": ("90.0%", "10.0%"), "托克托县": ("50.0%", "50.0%")}
    figures = ov.headline(s, {k: ov.chart(s, k) for k in ov.CHARTS})
    assert (figures["coverage_ok"], figures["burden_ok"]) == (False, False)


def test_a_county_sees_its_own_townships_only(world, overview_data):
    s = scope(world.users["reviewer"], county=world.county_b.pk)  # asking for another: ignored
    assert s.county == world.county_a
    rates = ov.rates(s)
    assert [(r[0], str(r[5]), str(r[6])) for r in rates.rows] == [("察素齐镇", "90.0%", "10.0%")]
    monitored = {r[0]: r[-1] for r in ov.monitored(s).rows}
    assert monitored == {"察素齐镇": 1, "毕克齐镇": 0}
    hospitals = ov.hospitals(s)
    assert [r[0] for r in hospitals.rows] == ["市第一医院", "土左旗医院"]


def test_out_of_list_share_against_the_limit_by_level(world, overview_data):
    rows = {
        r[0]: (str(r[2]), str(r[3]), r[-1])
        for r in ov.out_of_list(scope(world.users["admin"])).rows
    }
    assert rows == {
        "市第一医院": ("11.7%", "10.0%", "超过"),  # 7,000 of 60,000, third level
        "托县医院": ("6.0%", "5.0%", "超过"),
        "土左旗医院": ("4.0%", "5.0%", "未超过"),
    }


def test_assistance_by_month_and_identity(world, overview_data):
    chart = ov.assistance(scope(world.users["admin"]))
    assert chart.columns == ["月份", "特困", "低保", "合计（元）"]
    assert chart.rows[2] == ["3月", Decimal("6000.00"), Decimal("2000.00"), Decimal("8000.00")]
    assert chart.totals[-1] == Decimal("8000.00")


def test_the_page_prints_the_figures_and_every_chart(client, world, overview_data):
    client.force_login(world.users["admin"])
    page = client.get(reverse("monitoring:overview")).content.decode()
    for key in ov.CHARTS:
        assert f'data-chart="{key}"' in page
        assert f'data-testid="table-{key}"' in page
    assert 'data-testid="fig-coverage">80.0%' in page
    assert 'data-testid="fig-monitored">1 人' in page
    assert "chart.umd.min.js" in page and "<script>" not in page  # no inline script (CSP)


def test_csv_and_xlsx_hold_the_table_and_are_audited(client, world, overview_data):
    client.force_login(world.users["reviewer"])
    url = reverse("monitoring:overview_download", args=["rates", "csv"]) + f"?year={YEAR}"
    response = client.get(url)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["区域", "困难群众人数", "医疗总费用（元）"]
    assert rows[1][:7] == ["察素齐镇", "2", "30000.00", "27000.00", "3000.00", "0.9000", "0.1000"]
    xlsx = client.get(reverse("monitoring:overview_download", args=["out_of_list", "xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][:3] == ("市第一医院", "三级", pytest.approx(0.1167))
    audit = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).order_by("id")
    assert audit.count() == 2 and audit.first().county == world.county_a
    assert (
        client.get(reverse("monitoring:overview_download", args=["nope", "csv"])).status_code == 404
    )


def test_open_cases_by_stage_in_order_with_the_late_ones(world, overview_data, applicant, accept):
    from datetime import timedelta

    from django.utils import timezone

    from applications.models import Application, Status
    from applications.workflow import OPEN
    from tests.factories import make_application

    app = accept(make_application(applicant, world.users["clerk"]), forward=True)
    Application.objects.filter(pk=app.pk).update(
        step_due_on=timezone.localdate() - timedelta(days=1)
    )
    chart = ov.stages(scope(world.users["admin"]))
    labels = [r[0] for r in chart.rows]
    assert labels == [Status(s).label for s in Status.values if s in OPEN]
    row = chart.rows[labels.index(Status(app.status).label)]
    assert row[1:] == [0, 1, 1]  # none on time, one late, one in all
    assert chart.totals == ["合计", 0, 1, 1]


def test_the_over_limit_count_covers_every_hospital_not_only_those_shown(world, overview_data):
    chart = ov.out_of_list(scope(world.users["admin"]), top=1)
    assert [r[0] for r in chart.rows] == ["市第一医院"]
    assert chart.flagged == 2
    assert "全部 3 家见下载文件" in chart.note


def test_a_hospital_name_that_would_run_is_text_in_the_downloads(client, world, overview_data):
    import zipfile

    from monitoring.models import HospitalSettlement

    HospitalSettlement.objects.filter(hospital="市第一医院").update(hospital="=1+1")
    client.force_login(world.users["admin"])
    xlsx = client.get(reverse("monitoring:overview_download", args=["out_of_list", "xlsx"]))
    sheet_xml = zipfile.ZipFile(io.BytesIO(xlsx.content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml
    values = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert "=1+1" in [v[0] for v in values]
    text = client.get(reverse("monitoring:overview_download", args=["out_of_list", "csv"]))
    rows = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
    assert "'=1+1" in [r[0] for r in rows]


def test_the_page_says_when_its_figures_were_computed_and_the_admin_recomputes_once(
    client, world, overview_data
):
    from core.models import QueuedTask
    from monitoring.models import MonitoringRun

    last = MonitoringRun.objects.filter(finished_at__isnull=False).first()
    client.force_login(world.users["admin"])
    page = client.get(reverse("monitoring:overview")).content.decode()
    stamp = timezone.localtime(last.finished_at).strftime("%Y-%m-%d %H:%M")
    assert f"负担、保障率与监测对象：<strong>{stamp}</strong> 重算的数据" in page
    assert 'data-testid="source-rates">' + f"{stamp} 重算" in page
    assert 'data-testid="source-assistance">实时' in page
    # the targets are rules across the chart, not a one-point line
    spec = ov.chart(scope(world.users["admin"]), "rates").spec()
    assert spec["targets"] == [
        {"label": "综合保障率目标 ≥ 85.0%", "value": 85.0},
        {"label": "个人负担率目标 ≤ 15.0%", "value": 15.0},
    ]
    assert all(d["type"] == "bar" for d in spec["datasets"])
    url = reverse("monitoring:overview_recompute")
    client.post(url, {"query": f"year={YEAR}"})
    again = client.post(url, {"query": f"year={YEAR}"}, follow=True).content.decode()
    assert "重算已在进行中" in again
    queued = QueuedTask.objects.filter(task="monitoring.tasks.recompute_monitoring")
    assert queued.count() == 1 and queued.get().args == [False]
    assert AuditEvent.objects.filter(event="overview.recomputed").count() == 1
    # a county reviewer reads the same page without the button, and may not post it
    client.force_login(world.users["reviewer"])
    assert (
        'data-testid="recompute"' not in client.get(reverse("monitoring:overview")).content.decode()
    )
    assert client.post(url).status_code == 403


def test_the_out_of_list_limit_takes_the_level_from_the_register(world, overview_data):
    """托县医院's records came as 二级 (5%); the register, imported after them, says 三级 (10%)."""
    from areas.models import Institution
    from monitoring.models import HospitalSettlement

    HospitalSettlement.objects.filter(hospital="托县医院").update(hospital_code="H15012200031")
    Institution.objects.create(code="H15012200031", name="托克托县医院", level="tier3",
                               grade="03", region="150122")  # fmt: skip
    rows = {r[0]: (str(r[3]), r[-1]) for r in ov.out_of_list(scope(world.users["admin"])).rows}
    assert rows["托县医院"] == ("10.0%", "未超过")  # 6.0% of a third-level hospital
