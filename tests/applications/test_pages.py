"""The township window's pages through the test client: lookup, intake, materials, the case page,
scans, the dashboard and telling the applicant."""

from __future__ import annotations

import io
import itertools
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from applications.models import Application, Attachment, Status
from applications.services import application_accept, material_receive
from audit.models import AuditEvent
from beneficiaries.models import Person
from core.bank import account_number
from tests.applications.test_intake import pdf
from tests.factories import PersonFactory, id_number

NEW = reverse("applications:new")


_invoices = itertools.count(1)


def expense_post(prefix="e", n=0, **overrides) -> dict:
    data = {
        f"{prefix}-{n}-hospital": "土默特左旗医院",
        f"{prefix}-{n}-hospital_code": "H15012100003",
        f"{prefix}-{n}-invoice_number": f"PG{next(_invoices):08d}",
        f"{prefix}-{n}-hospital_level": "tier2",
        f"{prefix}-{n}-kind": "inpatient",
        f"{prefix}-{n}-in_region": "on",
        f"{prefix}-{n}-referred": "on",
        f"{prefix}-{n}-admitted_on": "2026-11-02",
        f"{prefix}-{n}-discharged_on": "2026-11-12",
        f"{prefix}-{n}-total": "12000.50",
        f"{prefix}-{n}-policy_scope": "10000.00",
        f"{prefix}-{n}-basic_paid": "6000.00",
        f"{prefix}-{n}-critical_paid": "0",
    }
    data.update({f"{prefix}-{n}-{k}": v for k, v in overrides.items()})
    return data


def intake_post(identity_choice: str, **extra) -> dict:
    return {
        "identity_choice": identity_choice,
        "contact_phone": "13900001111",
        "bank_name": "内蒙古农村信用社",
        "bank_account_holder": "乌兰",
        "bank_account_number": "6228480000000000018",
        "onestop_reason": "elsewhere",  # the registry's identities here are one-stop ones
        "e-TOTAL_FORMS": "1",
        "e-INITIAL_FORMS": "0",
        "e-MIN_NUM_FORMS": "1",
        "e-MAX_NUM_FORMS": "1000",
        **expense_post(),
        **extra,
    }


def intake_url(client, number: str) -> str:
    """The window's lookup (a POST) and where it leads: the intake page by token."""
    response = client.post(NEW, {"lookup": "1", "id_number": number})
    assert response.status_code == 302 and number not in response["Location"]
    return response["Location"]


@pytest.fixture
def clerk_client(client, world):
    client.force_login(world.users["clerk"])
    return client


def test_a_bad_id_number_is_explained(clerk_client):
    page = clerk_client.post(
        NEW, {"lookup": "1", "id_number": "150121196001010015"}
    ).content.decode()
    assert "校验码" in page or "校验位" in page
    assert not Application.objects.exists()


def test_a_person_of_another_township_is_sent_to_their_own_window(clerk_client, world):
    other = PersonFactory(township=world.town_b1)
    page = clerk_client.post(
        NEW, {"lookup": "1", "id_number": other.id_number}, follow=True
    ).content.decode()
    assert "此人登记在其他乡镇（街道），请到其居住地的社会救助窗口申请" in page
    assert other.name not in page  # nothing about them is shown


def test_registering_on_the_spot_and_taking_the_application(clerk_client, world):
    number = id_number(77, birth="19580305")
    url = intake_url(clerk_client, number)
    page = clerk_client.get(url).content.decode()
    assert "身份库中没有" in page
    response = clerk_client.post(
        url,
        {
            "p-name": "巴特尔",
            "p-phone": "13912345678",
            "p-address": "察素齐镇某村",
            **intake_post("cat:illness_poor"),
        },
    )
    app = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "applications:accept", args=[app.number]
    )
    person = Person.objects.with_id_number(number).get()
    assert (person.name, person.township, app.person, app.category, app.identity) == (
        "巴特尔",
        world.town_a1,
        person,
        "illness_poor",
        None,
    )
    codes = set(app.materials.values_list("code", flat=True))
    assert {"identity_certificate", "income_declaration", "finance_authorisation", "hukou"} <= codes


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("total", "-5", "“-5”不是有效金额：金额不能为负数"),
        ("total", "12.345", "“12.345”不是有效金额：最多两位小数（到分）"),
        ("total", "一万", "“一万”不是有效金额：应只含数字和一个小数点"),
        ("total", "1e5", "“1e5”不是有效金额：不能用科学计数法"),
        ("total", "１２", "“１２”不是有效金额：请用半角数字"),
        ("total", "1,200", "“1,200”不是有效金额：金额中不能有逗号"),
        ("total", "9999999999", "“9999999999”过大，不能超过 999,999,999.99 元"),
        ("discharged_on", "2026-02-30", "核对这一天确实存在"),
        ("admitted_on", "1800-01-01", "入院日期1800-01-01 早于救助政策施行日期 2023-01-01"),
        ("discharged_on", "2099-01-01", "出院日期2099-01-01 晚于今天"),
        ("discharged_on", "2026-10-01", "出院日期不能早于入院日期"),
        ("policy_scope", "99999", "政策范围内费用不能大于医疗总费用"),
    ],
)
def test_bad_amounts_and_dates_change_nothing(clerk_client, applicant, field, value, message):
    url = intake_url(clerk_client, applicant.id_number)
    identity = applicant.identities.get()
    response = clerk_client.post(url, intake_post(f"id:{identity.pk}", **{f"e-0-{field}": value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Application.objects.exists()


def test_a_forged_expense_count_builds_no_more_than_the_maximum(clerk_client, applicant):
    """e-TOTAL_FORMS=999999 once took 14 s and returned 21 MB: the formset has an absolute cap."""
    url = intake_url(clerk_client, applicant.id_number)
    identity = applicant.identities.get()
    data = {**intake_post(f"id:{identity.pk}"), "e-TOTAL_FORMS": "999999"}
    response = clerk_client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "一份申请最多录入 30 笔费用" in page
    assert len(page) < 500_000  # 30 bills at most, not 999,999
    assert not Application.objects.exists()
    more = clerk_client.post(url, {**data, "e-TOTAL_FORMS": "x9", "add_row": "1"})
    assert more.status_code == 200


def test_another_expense_row_without_javascript(clerk_client, applicant):
    url = intake_url(clerk_client, applicant.id_number)
    identity = applicant.identities.get()
    page = clerk_client.post(
        url, {**intake_post(f"id:{identity.pk}"), "add_row": "1"}
    ).content.decode()
    assert 'name="e-1-hospital"' in page and "第 2 笔" in page
    assert "土默特左旗医院" in page  # the first row is kept
    assert not Application.objects.exists()


def test_the_intake_prefills_the_most_favourable_identity_and_the_payee(clerk_client, applicant):
    applicant.bank_name = "内蒙古银行"
    applicant.save()
    identity = applicant.identities.get()
    page = clerk_client.get(intake_url(clerk_client, applicant.id_number)).content.decode()
    assert (
        f'value="id:{identity.pk}"' in page
        and "checked" in page.split(f'value="id:{identity.pk}"')[1][:80]
    )
    assert 'value="内蒙古银行"' in page


def test_accepting_needs_the_promise_when_something_is_missing(clerk_client, draft):
    url = reverse("applications:accept", args=[draft.number])
    codes = list(draft.materials.values_list("code", flat=True))
    data = {f"got_{c}": "on" for c in codes if c != "invoice"}
    page = clerk_client.post(url, {**data, "accept_forward": "1"}).content.decode()
    assert "还缺 1 项材料（医疗费用发票（原件））：须由申请人签署承诺书" in page
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20)).save(buffer, "JPEG")
    scan = SimpleUploadedFile("id.jpg", buffer.getvalue(), content_type="image/jpeg")
    response = clerk_client.post(
        url, {**data, "promise_signed": "on", "accept_forward": "1", "file_id_card": scan}
    )
    draft.refresh_from_db()
    assert response.status_code == 302
    assert (draft.status, draft.promise_status) == (Status.FORWARDED, "pending")
    assert Attachment.objects.get(application=draft).material == "id_card"


def test_the_case_page_is_logged_and_scoped(client, world, draft, accept):
    app = accept(draft, missing=["invoice"])
    client.force_login(world.users["reviewer"])
    page = client.get(app.get_absolute_url()).content.decode()
    assert app.number in page and "承诺补齐材料" in page and "尚缺：医疗费用发票（原件）" in page
    assert AuditEvent.objects.filter(
        action="view", target_id=str(app.pk), actor_username="t_reviewer"
    ).exists()
    assert app.person.id_number not in page  # masked
    client.force_login(world.reviewer_b)
    assert client.get(app.get_absolute_url()).status_code == 404


def test_scans_are_served_only_inside_the_area_and_each_download_is_logged(
    client, world, draft, accept
):
    app = accept(draft, missing=["invoice"])
    material_receive(
        application=app, code="invoice", actor=world.users["clerk"], files=[pdf("invoice.pdf")]
    )
    url = reverse("applications:attachment", args=[Attachment.objects.get().pk])
    client.force_login(world.users["reviewer"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="scan-{Attachment.objects.get().pk}.pdf"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert AuditEvent.objects.filter(event="attachment.viewed").count() == 1
    for outsider in (world.clerk_a2, world.reviewer_b, world.clerk_b1):
        client.force_login(outsider)
        assert client.get(url).status_code == 404


def test_the_dashboard_counts_the_days_work_and_the_clerk_tells_the_result(
    clerk_client, world, applicant, time_machine
):
    from tests.factories import make_application

    time_machine.move_to("2026-11-20 10:00 +0800")
    clerk = world.users["clerk"]
    promised = make_application(applicant, clerk)
    codes = set(promised.materials.values_list("code", flat=True))
    application_accept(
        application=promised, actor=clerk, received=codes - {"invoice"}, promise_signed=True
    )
    decided = make_application(applicant, clerk)
    application_accept(application=decided, actor=clerk, received=codes, promise_signed=False)
    Application.objects.filter(pk=decided.pk).update(status=Status.APPROVED)
    time_machine.move_to("2026-11-25 10:00 +0800")  # the promise is due on the 27th
    clerk_client.force_login(clerk)  # five days later: a new session
    page = clerk_client.get(reverse("areas:township", args=[world.town_a1.pk])).content.decode()
    assert 'data-testid="count-due_soon">1<' in page and "补齐期限 2026-11-27" in page
    assert 'data-testid="count-to_tell">1<' in page
    response = clerk_client.post(
        reverse("applications:told", args=[decided.number]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == decided.get_absolute_url()  # no redirect off the site
    decided.refresh_from_db()
    assert decided.told_at is not None
    page = clerk_client.get(reverse("areas:township", args=[world.town_a1.pk])).content.decode()
    assert 'data-testid="count-to_tell">0<' in page


def test_only_the_administrator_is_warned_when_next_years_holidays_are_missing(
    client, world, time_machine
):
    """Only the administrator can enter a year's holidays: the banner is on their overview, not on
    every clerk's and county page (issue 18)."""
    from applications.models import CalendarDay

    overview = reverse("areas:overview")
    time_machine.move_to(
        "2026-11-25 10:00 +0800"
    )  # 60 days ahead reach 2027, which the package lacks
    client.force_login(world.users["admin"])
    page = client.get(overview).content.decode()
    assert "2027 年的法定节假日安排尚未录入" in page and "录入节假日调整" in page
    for user, url in (
        ("clerk", reverse("areas:township", args=[world.town_a1.pk])),
        ("reviewer", reverse("areas:county", args=[world.county_a.pk])),
    ):
        client.force_login(world.users[user])
        assert "尚未录入" not in client.get(url).content.decode(), user
    client.force_login(world.users["admin"])
    CalendarDay.objects.create(day=date(2027, 1, 1), working=False, note="元旦")
    assert "尚未录入" not in client.get(overview).content.decode()
    time_machine.move_to("2026-06-01 10:00 +0800")
    client.force_login(world.users["admin"])
    CalendarDay.objects.all().delete()
    assert "尚未录入" not in client.get(overview).content.decode()


def test_the_clerk_sees_unread_reminders_in_the_navigation(clerk_client, world, draft):
    from applications.models import InboxMessage

    InboxMessage.objects.create(
        recipient=world.users["clerk"],
        application=draft,
        kind="due_soon",
        text="x",
        dedupe_key="k1",
    )
    page = clerk_client.get(reverse("applications:index")).content.decode()
    assert "提醒（1）" in page


def test_the_case_page_previews_the_settlement_from_the_ledger(client, world, draft, accept):
    from settlements.models import YearLedger

    app = accept(draft, forward=True)
    YearLedger.objects.create(person=app.person, year=2026, assistance_used="95000.00")
    client.force_login(world.users["reviewer"])
    page = client.get(app.get_absolute_url()).content.decode()
    # 15,000 in-scope self-pay × 70% = 10,500, but only 5,000 of the dibao cap is left this year;
    # the 10,000 still borne is 3,000 above the tilted threshold: 3,000 × 80% = 2,400 more
    assert (
        "医疗救助：低保对象 政策范围内自付 15,000.00 元 × 70% = 10,500.00 元（呼和浩特实施方案 四(三)）"
        in page
    )
    assert 'data-testid="to-pay">7,400.00<' in page
    assert (
        '<td>已获医疗救助</td><td class="text-end">95,000.00</td><td class="text-end">100,000.00</td>'
        in page
    )
    assert (
        YearLedger.objects.get(person=app.person).assistance_used == 95000
    )  # a preview writes nothing


def test_the_preview_warns_when_the_identity_is_not_in_the_registry(client, world):
    from applications.services import application_accept
    from tests.factories import make_application

    person = PersonFactory(township=world.town_a1)
    app = make_application(person, world.users["clerk"], category="dibao_edge")
    codes = set(app.materials.values_list("code", flat=True))
    app = application_accept(
        application=app, actor=world.users["clerk"], received=codes, promise_signed=False
    )
    client.force_login(world.users["reviewer"])
    page = client.get(app.get_absolute_url()).content.decode()
    assert "申请身份“低保边缘家庭成员”不在身份库中" in page
    assert "救助身份：无有效身份" in page and 'data-testid="to-pay">0.00<' in page


def test_an_account_that_is_not_digits_is_refused_at_intake_and_nothing_is_saved(
    clerk_client, applicant
):
    from applications.models import Application

    url = intake_url(clerk_client, applicant.id_number)
    identity = applicant.identities.get()
    for bad in ("+1+1", "=1+1", "6222abc000001234", "12345"):
        data = {**intake_post(f"id:{identity.pk}"), "bank_account_number": bad}
        response = clerk_client.post(url, data)
        assert response.status_code == 200
        assert "银行账号应为 12 到 30 位数字（可带空格）。" in response.content.decode()
    # a UnionPay card (62…, 16 to 19 digits) with one digit mistyped fails its check digit
    data = {**intake_post(f"id:{identity.pk}"), "bank_account_number": "6222 0200 1234 5678"}
    response = clerk_client.post(url, data)
    assert (
        "银行卡号校验位不正确（62 开头的银联卡号），请对照银行卡逐位核对。"
        in response.content.decode()
    )
    assert not Application.objects.exists()
    data = {**intake_post(f"id:{identity.pk}"), "bank_account_number": "6222 0200 1234 5671"}
    assert clerk_client.post(url, data).status_code == 302
    assert Application.objects.get().bank_account_number == "6222020012345671"
    # a passbook account of 20 digits has no check digit and is taken as typed
    assert account_number("62220200123456789012") == "62220200123456789012"


def test_the_id_number_stays_out_of_every_url(clerk_client, world, applicant):
    from django.test import Client

    url = intake_url(clerk_client, applicant.id_number)
    assert url.startswith(f"{NEW}?t=") and applicant.id_number not in url
    page = clerk_client.get(url).content.decode()
    assert 'data-testid="applicant"' in page and applicant.id_number not in page  # masked
    stale = clerk_client.get(f"{NEW}?t=not-a-token").content.decode()
    assert "查找已过期，请重新输入申请人身份证号。" in stale
    other = Client()  # a token lives in its clerk's session: another session cannot use it
    other.force_login(world.users["clerk"])
    assert "查找已过期" in other.get(url).content.decode()
