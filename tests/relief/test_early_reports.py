"""医疗机构主动排摸: a hospital reports an inpatient with its own key; the person's township sees it
at once with what to check, starts the case before discharge, and the settlement record closes it."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Status
from areas.models import Institution
from audit.events import Event
from audit.models import AuditEvent
from monitoring.models import HospitalSettlement
from monitoring.tasks import recompute_monitoring
from relief.models import EarlyReport
from relief.services import station_key_create
from tests.factories import case_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def station(world):
    hospital = Institution.objects.create(
        code="H15010200001", name="内蒙古医科大学附属医院", level="tier3", region="150121"
    )
    _key_row, key = station_key_create(institution=hospital, label="病贫共济服务站", actor=None)
    return hospital, key


def _push(client, key, records):
    return client.post(
        reverse("api_early_reports"), json.dumps({"records": records}),
        content_type="application/json", headers={"Authorization": f"Bearer {key}"},
    )  # fmt: skip


def _record(person, **kw):
    return {
        "ipt_no": kw.get("ipt_no", "ZY2026001"), "psn_name": person.name,
        "certno": person.id_number, "begntime": kw.get("begntime", str(timezone.localdate())),
        "expt_sumfee": kw.get("expt_sumfee", "180000.00"), "adm_diag_dscr": "急性髓系白血病",
        "adm_dept_name": "血液科", "adm_bed": "12床",
    }  # fmt: skip


def test_a_report_becomes_a_case_and_its_settlement_closes_it(client, world, applicant, station):
    hospital, key = station
    answer = _push(client, key, [
        _record(applicant),
        _record(applicant, ipt_no="ZY2026002", expt_sumfee="20000"),  # below 50,000
        {**_record(applicant, ipt_no="ZY2026003"), "certno": "150121196001010015"},
    ]).json()  # fmt: skip
    statuses = [r["status"] for r in answer["results"]]
    assert statuses == ["created", "refused", "refused"]
    assert "低于报送标准 50,000.00 元" in answer["results"][1]["errors"][0]
    assert "校验位" in answer["results"][2]["errors"][0]
    assert _push(client, key, [_record(applicant)]).json()["results"][0]["status"] == "unchanged"
    report = EarlyReport.objects.get()
    assert (report.township, report.expected_total, report.state) == (
        applicant.township, Decimal("180000.00"), "open",
    )  # fmt: skip
    assert AuditEvent.objects.filter(event=Event.EARLY_RECEIVED, target_id=str(report.pk)).exists()
    # the township sees it at once, with what to check
    client.force_login(world.users["clerk"])
    page = client.get(reverse("relief:early_list")).content.decode()
    assert "急性髓系白血病" in page and "一站式" in page  # 低保: settled at the hospital
    client.force_login(world.clerk_a2)  # another township: not there
    assert "急性髓系白血病" not in client.get(reverse("relief:early_list")).content.decode()
    client.force_login(world.users["clerk"])
    client.post(reverse("relief:early_contact", args=[report.pk]), {"note": "已电话联系家属"})
    report.refresh_from_db()
    assert (report.state, report.contact_note) == ("contacted", "已电话联系家属")
    # a case started for the person (before discharge) takes the report
    app = case_at(world, applicant, Status.ACCEPTED)
    client.get(reverse("relief:early_list"))
    report.refresh_from_db()
    assert (report.state, report.application_id) == ("case", app.pk)
    # the settlement record of the stay arrives: the report closes
    HospitalSettlement.objects.create(
        person=applicant, record_key="k-early", setl_id="S-2026-77", hospital=hospital.name,
        hospital_code=hospital.code, hospital_level="tier3", kind="inpatient",
        admitted_on=report.admitted_on, day=report.admitted_on + timedelta(days=15),
        total=Decimal("176000.00"), policy_scope=Decimal("160000.00"),
        basic_paid=Decimal("110000.00"), critical_paid=Decimal("30000.00"),
        out_of_list=Decimal("0"), assistance_paid=Decimal("0"),
    )  # fmt: skip
    recompute_monitoring()
    report.refresh_from_db()
    assert (report.state, report.closed_by) == ("closed", "S-2026-77")
    assert AuditEvent.objects.filter(event=Event.EARLY_CLOSED, target_id=str(report.pk)).exists()


def test_keys_and_files(client, world, applicant, station):
    hospital, key = station
    assert _push(client, "wrong", [_record(applicant)]).status_code == 401
    bad = client.post(reverse("api_early_reports"), "not json", content_type="application/json",
                      headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert bad.status_code == 400 and not EarlyReport.objects.exists()
    # the county takes a hospital's file in Chinese headers
    client.force_login(world.users["reviewer"])
    csv = ("住院号,姓名,身份证号码,入院日期,预计医疗总费用,入院诊断\n"
           f"ZY9,{applicant.name},{applicant.id_number},{date.today()},90000,肝移植\n"
           f"ZY10,{applicant.name},{applicant.id_number},2099-01-01,90000,肝移植\n")  # fmt: skip
    upload = io.BytesIO(csv.encode())
    upload.name = "reports.csv"
    response = client.post(
        reverse("relief:early_upload"), {"institution": hospital.code, "file": upload}
    )
    notes = [str(m) for m in response.wsgi_request._messages]
    assert any("已接收 1 条" in m for m in notes) and any("晚于今天" in m for m in notes)
    assert EarlyReport.objects.get().diagnosis == "肝移植"


def test_control_characters_are_refused_everywhere_a_note_is_typed(
    client, world, burdened, bodies, station
):
    from django.core.exceptions import ValidationError

    from monitoring.agenda import agenda_build, agenda_outcome
    from relief.services import handoff_answer, handoff_withdraw

    _hospital, key = station
    answer = _push(client, key, [{**_record(burdened), "adm_diag_dscr": "白血病\x00"}]).json()
    assert "控制字符" in answer["results"][0]["errors"][0] and not EarlyReport.objects.exists()
    item = agenda_build(
        county=world.county_a, year=date.today().year, month=1, actor=None
    ).items.get()
    with pytest.raises(ValidationError, match="控制字符"):
        agenda_outcome(
            item=item, outcome="follow_up", note="跟进\x00", actor=world.users["reviewer"]
        )
    agenda_outcome(item=item, outcome="handoff", note="会商转介", actor=world.users["reviewer"],
                   body=bodies["charity"])  # fmt: skip
    handoff = item.person.handoffs.get()
    for call in (
        lambda: handoff_answer(handoff=handoff, helped=False, actor=None, refusal="无\x00"),
        lambda: handoff_withdraw(handoff=handoff, reason="撤回\x00", actor=world.users["reviewer"]),
    ):
        with pytest.raises(ValidationError, match="控制字符"):
            call()
    handoff.refresh_from_db()
    assert handoff.state == "open"
