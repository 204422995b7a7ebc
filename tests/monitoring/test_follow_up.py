"""The township's follow-up: contact, close with a reason, an application started from a warning."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from audit.models import AuditEvent
from monitoring.models import CloseReason, FollowUp, WarningStatus
from monitoring.recompute import monitoring_recompute
from monitoring.services import warning_close, warning_contact, warning_link_application
from tests.factories import PersonFactory, make_application

from .data import YEAR, hospital_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def warning(world, incomes):
    person = PersonFactory(township=world.town_a1, name="高娜仁", phone="13900002222")
    hospital_record(person, burden="25000.00", day=date(YEAR, 3, 16), hospital="自治区人民医院")
    hospital_record(person, burden="600.00", day=date(YEAR, 7, 1), assistance="100.00")
    monitoring_recompute()
    return person.warnings.get()


def test_contact_then_close_each_leaves_a_step_and_an_audit_row(world, warning):
    clerk = world.users["clerk"]
    step = warning_contact(
        warning=warning, method="phone", contacted_on=timezone.localdate(),
        note="已告知可申请因病致贫认定", actor=clerk,
    )  # fmt: skip
    warning.refresh_from_db()
    assert warning.status == WarningStatus.CONTACTED
    assert (step.action, step.method, step.actor) == (FollowUp.Action.CONTACT, "phone", clerk)
    audit = AuditEvent.objects.filter(target_type="monitoring.burdenwarning").latest("id")
    assert audit.changes == {"status": ["open", "contacted"]}
    assert audit.township == world.town_a1
    warning_close(warning=warning, reason=CloseReason.DECLINED, note="", actor=clerk)
    warning.refresh_from_db()
    assert (warning.status, warning.close_reason) == (WarningStatus.CLOSED, CloseReason.DECLINED)
    # a second click (or a stale tab) is refused and changes nothing
    with pytest.raises(ValidationError, match="已是“已办结”"):
        warning_close(warning=warning, reason=CloseReason.OTHER, note="x", actor=clerk)
    with pytest.raises(ValidationError, match="不能再记录联系"):
        warning_contact(
            warning=warning, method="visit", contacted_on=timezone.localdate(), note="x",
            actor=clerk,
        )  # fmt: skip
    assert warning.follow_ups.count() == 2


@pytest.mark.parametrize(
    ("reason", "note", "message"),
    [
        ("", "", "请选择办结原因"),
        ("below", "", "请选择办结原因"),  # only the recompute closes for that reason
        ("other", "  ", "请写明原因"),
    ],
)
def test_closing_needs_a_real_reason(world, warning, reason, note, message):
    with pytest.raises(ValidationError, match=message):
        warning_close(warning=warning, reason=reason, note=note, actor=world.users["clerk"])
    warning.refresh_from_db()
    assert warning.status == WarningStatus.OPEN
    assert not warning.follow_ups.exists()


def test_contact_in_the_future_or_without_a_note_is_refused(world, warning):
    clerk = world.users["clerk"]
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        warning_contact(
            warning=warning, method="phone", contacted_on=tomorrow, note="x", actor=clerk
        )
    with pytest.raises(ValidationError, match="请写明联系情况"):
        warning_contact(
            warning=warning,
            method="phone",
            contacted_on=timezone.localdate(),
            note=" ",
            actor=clerk,
        )
    warning.refresh_from_db()
    assert warning.status == WarningStatus.OPEN


def test_linking_someone_elses_application_is_refused(world, warning, applicant):
    other = make_application(applicant, world.users["clerk"])
    with pytest.raises(ValidationError, match="不是同一人"):
        warning_link_application(warning=warning, application=other, actor=world.users["clerk"])


def test_the_list_shows_the_township_its_own_warnings_masked(client, world, warning):
    client.force_login(world.users["clerk"])
    page = client.get(reverse("monitoring:warning_list")).content.decode()
    assert "高娜仁" in page and warning.person.masked_id_number in page
    assert warning.person.id_number not in page
    assert "因病致贫监测" in page and "无困难身份" in page
    client.force_login(world.clerk_a2)  # the next township sees nothing of it
    assert "高娜仁" not in client.get(reverse("monitoring:warning_list")).content.decode()
    assert client.get(reverse("monitoring:warning_detail", args=[warning.pk])).status_code == 404


def test_the_detail_is_logged_and_lists_the_years_bills(client, world, warning):
    client.force_login(world.users["clerk"])
    page = client.get(reverse("monitoring:warning_detail", args=[warning.pk])).content.decode()
    assert "自治区人民医院" in page and "25,600.00" in page  # burden after insurance
    view = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (view.target_type, view.target_id) == ("beneficiaries.person", str(warning.person_id))


def test_contact_form_errors_come_back_in_chinese_and_change_nothing(client, world, warning):
    client.force_login(world.users["clerk"])
    url = reverse("monitoring:warning_contact", args=[warning.pk])
    response = client.post(url, {"method": "phone", "contacted_on": "2026-02-30", "note": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "核对这一天确实存在" in page and "此项必填。" in page
    warning.refresh_from_db()
    assert warning.status == WarningStatus.OPEN
    response = client.post(url, {"method": "visit", "contacted_on": str(timezone.localdate()),
                                 "note": "入户走访，家属同意申请"})  # fmt: skip
    assert response.status_code == 302
    warning.refresh_from_db()
    assert warning.status == WarningStatus.CONTACTED


def test_a_reviewer_reads_but_cannot_follow_up(client, world, warning):
    client.force_login(world.users["reviewer"])
    page = client.get(reverse("monitoring:warning_detail", args=[warning.pk])).content.decode()
    assert "为其发起救助申请" not in page
    response = client.post(
        reverse("monitoring:warning_close", args=[warning.pk]), {"reason": "declined"}
    )
    assert response.status_code == 403
    warning.refresh_from_db()
    assert warning.status == WarningStatus.OPEN


def test_an_application_started_from_the_warning_is_prefilled_and_linked(client, world, warning):
    client.force_login(world.users["clerk"])
    person = warning.person
    url = reverse("monitoring:warning_apply", args=[warning.pk])
    page = client.get(url).content.decode()
    assert "由" in page and "预警发起" in page
    # the unassisted hospital bill is prefilled; the one with assistance already is not
    assert 'value="自治区人民医院"' in page
    assert 'name="e-TOTAL_FORMS" value="1"' in page
    data = {
        "identity_choice": "cat:illness_poor",
        "contact_phone": "13900002222",
        "bank_name": "农村信用社",
        "bank_account_holder": "高娜仁",
        "bank_account_number": "6228480000000007",
        "e-TOTAL_FORMS": "1", "e-INITIAL_FORMS": "0", "e-MIN_NUM_FORMS": "1", "e-MAX_NUM_FORMS": "1000",
        "e-0-hospital": "自治区人民医院", "e-0-hospital_level": "tier3", "e-0-kind": "inpatient",
        "e-0-in_region": "on", "e-0-admitted_on": f"{YEAR}-03-16", "e-0-discharged_on": f"{YEAR}-03-16",
        "e-0-total": "35000.00", "e-0-policy_scope": "35000.00", "e-0-basic_paid": "10000.00",
        "e-0-critical_paid": "0", "e-0-hospital_code": "H15010000001", "e-0-invoice_number": "FP77001",
    }  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    app = Application.objects.get(person=person)
    warning.refresh_from_db()
    assert (warning.status, warning.application) == (WarningStatus.APPLIED, app)
    assert warning.follow_ups.get().action == FollowUp.Action.APPLIED
    assert app.claimed_total == Decimal("35000.00")


def test_the_person_page_lists_applications_burden_and_warnings(client, world, warning, applicant):
    person = warning.person
    app = make_application(person, world.users["clerk"])
    other = make_application(applicant, world.users["clerk"])
    client.force_login(world.users["clerk"])
    page = client.get(reverse("beneficiaries:person_detail", args=[person.pk])).content.decode()
    assert app.number in page and other.number not in page
    assert "暂无救助申请" not in page
    assert "25,600.00 元" in page  # this year's burden after insurance
    assert reverse("monitoring:warning_detail", args=[warning.pk]) in page
    empty = client.get(reverse("beneficiaries:person_detail", args=[applicant.pk])).content.decode()
    assert other.number in empty and "因病致贫监测" not in empty


def test_another_townships_clerk_cannot_act_on_the_warning(client, world, warning):
    client.force_login(world.clerk_a2)
    for name, data in (
        ("monitoring:warning_close", {"reason": "declined"}),
        (
            "monitoring:warning_contact",
            {"method": "phone", "contacted_on": "2026-01-05", "note": "x"},
        ),
    ):
        assert client.post(reverse(name, args=[warning.pk]), data).status_code == 404
    url = reverse("monitoring:warning_apply", args=[warning.pk])
    page = client.get(url).content.decode()
    assert "预警发起" not in page and "高娜仁" not in page  # sent to the person's own window
    warning.refresh_from_db()
    assert warning.status == WarningStatus.OPEN and not warning.follow_ups.exists()
