"""The applicant's status page: the right words for each stage, one answer for a wrong number or a
wrong ID, the rate limits, nothing of another applicant, and the letter after the same check."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.cache import cache
from django.urls import reverse

from applications.models import Application, Status
from applications.services import (
    material_receive,
)
from audit.models import AuditEvent
from payments.services import payment_batch_create, payment_record
from tests.factories import PersonFactory, make_application, walk

URL = reverse("status")


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()


def ask(client, app, tail=None, **extra):
    tail = app.person.id_number[-6:] if tail is None else tail
    return client.post(URL, {"number": app.number, "id_tail": tail, **extra}).content.decode()


@pytest.fixture
def case(world, applicant, accept, time_machine):
    time_machine.move_to("2026-11-23 10:00 +0800")
    return accept(
        make_application(applicant, world.users["clerk"]),
        missing=["invoice"],
        forward=True,
    )


def test_each_stage_in_plain_words(client, world, case, time_machine):
    page = ask(client, case)
    assert "申请人：乌*" in page  # 乌兰, masked
    assert "乌兰" not in page and case.person.id_number not in page
    assert (
        "还缺：医疗费用发票（原件）。请于 2026-11-30前交到察素齐镇社会救助服务窗口（还有 7 天）"
        in page
    )
    assert "土默特左旗医疗保障经办机构正在审核" in page
    assert "0471-8000000" in page  # whom to call
    material_receive(application=case, code="invoice", actor=world.users["clerk"])
    app = walk(world, case, Status.APPROVED)
    page = ask(client, app)
    assert "您承诺补交的材料已全部收到" in page and "批准医疗救助 10,500.00 元" in page
    assert "正在办理发放，请留意银行到账" in page and "下载审批通知书（PDF）" in page
    batch = payment_batch_create(
        county=world.county_a, application_ids=[app.pk], actor=world.users["finance"]
    )
    payment_record(
        payment=batch.payments.get(),
        paid=True,
        paid_on=date(2026, 11, 27),
        actor=world.users["finance"],
    )
    page = ask(client, app)
    assert (
        "已发放" in page
        and "2026-11-27" in page
        and "10,500.00 元已转入 内蒙古银行 6222 **** **** 1234" in page
    )
    assert "救助金已发放，本申请办结" in page


def test_a_rejection_gives_the_reason_and_the_rights(client, world, case):
    material_receive(application=case, code="invoice", actor=world.users["clerk"])
    app = walk(world, case, Status.REJECTED, reject="out_of_region", note="区外未转诊")
    page = ask(client, app)
    assert (
        "原因：自治区外就医且未规范转诊" in page
        and "60 日内申请行政复议" in page
        and "6 个月内提起行政诉讼" in page
    )


def test_a_wrong_number_and_a_wrong_id_get_the_same_answer(client, case):
    wrong_id = ask(client, case, tail="000000")
    wrong_number = client.post(
        URL, {"number": "150121-20261123-9999", "id_tail": case.person.id_number[-6:]}
    ).content.decode()
    assert "申请编号或身份证号后 6 位不正确" in wrong_id
    import re

    def same(page: str, number: str) -> str:
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page.replace(number, "X"))

    assert same(wrong_id, case.number) == same(wrong_number, "150121-20261123-9999")
    assert "医疗费用发票" not in wrong_id


def test_numbers_typed_without_dashes_and_a_lowercase_x_work(client, world, accept):
    person = PersonFactory(township=world.town_a1, id_number="15012119600101002X")
    app = accept(make_application(person, world.users["clerk"], category="other"))
    page = client.post(
        URL, {"number": app.number.replace("-", ""), "id_tail": "01002x"}
    ).content.decode()
    assert app.number in page and "status-steps" in page


def test_wrong_answers_are_limited_but_never_lock_the_owner_out(client, case, settings):
    for _ in range(5):
        assert "不正确" in ask(client, case, tail="111111")
    wrong = client.post(URL, {"number": case.number, "id_tail": "111111"})
    assert wrong.status_code == 429
    assert "这个申请编号的查询次数太多（身份证号后 6 位多次不符）" in wrong.content.decode()
    # the owner, with the right answer, still gets through while the limit holds
    right = client.post(URL, {"number": case.number, "id_tail": case.person.id_number[-6:]})
    assert right.status_code == 200 and "status-steps" in right.content.decode()
    other = client.post(URL, {"number": "150121-20990101-0001", "id_tail": "123456"})
    assert other.status_code == 200  # another number from the same address still has tries left


def test_one_address_is_limited_across_numbers(client, world, case, settings):
    settings.STATUS_RATE_PER_ADDRESS = "3/10m"
    world.county_a.agency_name = "土默特左旗医疗保障事务中心"
    world.county_a.agency_phone = "0471-8111000"
    world.county_a.save()
    for n in range(3):
        client.post(URL, {"number": f"150121-20990101-000{n}", "id_tail": "123456"})
    limited = client.post(URL, {"number": case.number, "id_tail": case.person.id_number[-6:]})
    assert limited.status_code == 429
    # whom to call comes from the number's county code, whether or not such a case exists
    said = "如需帮助，请拨打土默特左旗医疗保障事务中心电话 0471-8111000。"
    assert said in limited.content.decode()
    invented = client.post(URL, {"number": "150121-20990101-0999", "id_tail": "123456"})
    assert said in invented.content.decode()
    unknown = client.post(URL, {"number": "999999-20990101-0001", "id_tail": "123456"})
    assert "请到受理申请的乡镇（街道）社会救助服务窗口" in unknown.content.decode()


def test_the_letter_downloads_only_after_the_check_and_only_the_applicants_own(
    client, world, case, applicant
):
    material_receive(application=case, code="invoice", actor=world.users["clerk"])
    app = walk(world, case, Status.APPROVED)
    letter_url = reverse("status_letter", args=["approval"])
    assert client.get(letter_url).status_code == 404  # no check yet
    ask(client, app)
    response = client.get(letter_url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert (
        AuditEvent.objects.filter(summary="申请人下载审批通知书", actor_username="申请人").count()
        == 1
    )
    assert AuditEvent.objects.filter(summary="申请人查询办理进度").count() == 1
    assert client.get(reverse("status_letter", args=["rejection"])).status_code == 404


def test_a_draft_is_not_shown_and_the_qr_link_fills_the_number(client, world, applicant):
    draft = make_application(applicant, world.users["clerk"])
    assert "不正确" in ask(client, draft)
    page = client.get(URL, {"number": draft.number}).content.decode()
    assert f'value="{draft.number}"' in page
    assert "<script" not in page  # works without JavaScript


def test_large_text_is_kept_through_the_lookup(client, case):
    page = client.get(URL, {"large": "1"}).content.decode()
    assert '<body class="large">' in page
    assert '<body class="large">' in ask(client, case)  # kept in a cookie for the session
    assert Application.objects.count() == 1


def test_a_lookup_runs_only_the_queries_it_needs(client, world, case, django_assert_num_queries):
    """Issue 21: the case with its person and areas in one SELECT, the audit row (its area from
    the case itself), and the paid line only for a paid case; no session row written or read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as waiting:
        assert "正在审核" in ask(client, case)
    shown = [q["sql"].split()[0] for q in waiting.captured_queries]
    # the case, the audit row, and (a promise is open) the materials still missing
    assert shown == ["SELECT", "INSERT", "SELECT"], waiting.captured_queries
    assert '"applications_material"' in waiting.captured_queries[2]["sql"]
    assert "django_session" not in " ".join(q["sql"] for q in waiting.captured_queries)
    row = AuditEvent.objects.filter(summary="申请人查询办理进度").latest("pk")
    assert (row.township_id, row.county_id) == (case.township_id, case.county_id)

    material_receive(application=case, code="invoice", actor=world.users["clerk"])
    app = walk(world, case, Status.APPROVED)
    batch = payment_batch_create(
        county=world.county_a, application_ids=[app.pk], actor=world.users["finance"]
    )
    payment_record(
        payment=batch.payments.get(), paid=True, paid_on=date(2026, 11, 27),
        actor=world.users["finance"],
    )  # fmt: skip
    with django_assert_num_queries(3):  # the case, the audit row, the paid line
        assert "已发放" in ask(client, app)
    # the letter still downloads after the check (a signed cookie, not a session)
    response = client.get(reverse("status_letter", args=["approval"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
