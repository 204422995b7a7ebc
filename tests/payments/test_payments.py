"""Payment: only cases with every material in; batches; the bank file; the bank's results; a failed
line paid again after the account is corrected; never twice."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from applications.models import Application, Status
from applications.services import (
    material_receive,
)
from audit.models import AuditEvent
from payments.accounts import account_change_decide, account_change_propose
from payments.models import Payment, PaymentBatch
from payments.selectors import account_waiting, held, payable
from payments.services import (
    HEADER,
    payment_batch_create,
    payment_batch_export,
    payment_record,
    payment_return_import,
)
from tests.applications.test_intake import png
from tests.factories import case_at


@pytest.fixture
def approve_case(world, applicant, accept):
    def _approve(missing=()):
        return case_at(world, applicant, Status.APPROVED, missing=missing)

    return _approve


def test_a_case_with_a_promise_open_is_held_not_payable(world, approve_case):
    ready, waiting = approve_case(), approve_case(missing=["invoice"])
    assert list(payable(world.county_a)) == [ready]
    assert list(held(world.county_a)) == [waiting]
    with pytest.raises(ValidationError, match=f"{waiting.number} 承诺补交的材料尚未收齐"):
        payment_batch_create(
            county=world.county_a,
            application_ids=[ready.pk, waiting.pk],
            actor=world.users["finance"],
        )
    assert not PaymentBatch.objects.exists()
    material_receive(application=waiting, code="invoice", actor=world.users["clerk"])
    assert set(payable(world.county_a)) == {ready, waiting}


def test_the_bank_file_has_the_documented_layout(world, approve_case):
    app = approve_case()
    finance = world.users["finance"]
    batch = payment_batch_create(county=world.county_a, application_ids=[app.pk], actor=finance)
    assert batch.number.startswith("150121-FF-") and batch.number.endswith("-01")
    content, ctype, name = payment_batch_export(batch=batch, fmt="csv", actor=finance)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows == [
        HEADER,
        [
            "1",
            batch.number,
            app.number,
            "乌兰",
            "内蒙古银行",
            "6222000000051234",
            "10500.00",
            f"医疗救助金 {app.number}",
        ],
    ]
    assert (ctype, name) == ("text/csv; charset=utf-8", f"{batch.number}.csv")
    content, _, name = payment_batch_export(batch=batch, fmt="xlsx", actor=finance)
    sheet = load_workbook(io.BytesIO(content)).active
    assert [[c.value for c in r] for r in sheet.iter_rows()] == rows
    batch.refresh_from_db()
    assert batch.state == "exported"
    assert AuditEvent.objects.filter(action="export", target_id=str(batch.pk)).count() == 2


def return_file(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["申请编号", "金额（元）", "结果", "失败原因", "日期"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def test_the_banks_return_file_pays_fails_and_reports_unknown_lines(world, approve_case):
    good, bad = approve_case(), approve_case()
    finance = world.users["finance"]
    batch = payment_batch_create(
        county=world.county_a, application_ids=[good.pk, bad.pk], actor=finance
    )
    data = return_file(
        [
            [good.number, "10500.00", "成功", "", "2026-11-25"],
            [bad.number, bad.approved_amount, "失败", "账号不存在", "2026-11-25"],
            ["150121-20990101-0001", "1.00", "成功", "", ""],
            [good.number, "99.00", "成功", "", ""],
            [good.number, "1,0500.00", "成功", "", ""],
            [good.number, "10500.00", "成功", "", "2099-01-01"],
        ]
    )
    # a file that does not answer the whole batch (count and sum) is refused, nothing recorded
    with pytest.raises(
        ValidationError, match=r"批次 2 笔、合计 22,600\.00 元，回盘 6 行、合计 33,200\.00 元"
    ):
        payment_return_import(batch=batch, data=data, name="return.csv", actor=finance)
    assert set(batch.payments.values_list("state", flat=True)) == {"pending"}
    # the right count and sum, one line unknown: reported, the others recorded
    odd = return_file(
        [
            ["150121-20990101-0001", "10500.00", "成功", "", ""],
            [bad.number, bad.approved_amount, "失败", "账号不存在", "2026-11-25"],
        ]
    )
    result = payment_return_import(batch=batch, data=odd, name="return.csv", actor=finance)
    assert (result.paid, result.failed) == (0, 1)
    assert result.problems == ["第 2 行：申请编号 150121-20990101-0001 不在本批次中"]
    batch.refresh_from_db()
    assert batch.state != "closed"  # a line still has no result
    data = return_file(
        [
            [good.number, "10500.00", "成功", "", "2026-11-25"],
            [bad.number, bad.approved_amount, "失败", "账号不存在", "2026-11-25"],
        ]
    )
    result = payment_return_import(batch=batch, data=data, name="return.csv", actor=finance)
    assert (result.paid, result.failed) == (1, 0)
    assert result.problems == [f"第 3 行：{bad.number} 已登记为“发放失败”，不能再改。"]
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.status, good.paid_at is not None) == (Status.PAID, True)
    assert Payment.objects.get(application=good).paid_on == date(2026, 11, 25)
    assert (bad.status, Payment.objects.get(application=bad).failure_reason) == (
        Status.APPROVED,
        "账号不存在",
    )
    batch.refresh_from_db()
    assert batch.state == "closed"


def test_a_failed_line_is_paid_again_after_the_account_is_corrected_and_never_twice(
    world, approve_case
):
    app = approve_case()
    finance = world.users["finance"]
    first = payment_batch_create(county=world.county_a, application_ids=[app.pk], actor=finance)
    with pytest.raises(ValidationError, match="不能重复发放"):
        payment_batch_create(county=world.county_a, application_ids=[app.pk], actor=finance)
    line = first.payments.get()
    with pytest.raises(ValidationError, match="发放失败须写明原因"):
        payment_record(payment=line, paid=False, actor=finance)
    payment_record(payment=line, paid=False, reason="户名不符", actor=finance)
    with pytest.raises(ValidationError, match="已登记为“发放失败”，不能再改"):
        payment_record(payment=line, paid=True, actor=finance)
    # the failed line's account must be corrected (or confirmed right) before it is paid again
    assert app not in payable(world.county_a)
    assert [why for a, why in account_waiting(world.county_a) if a == app] == [
        "上次发放失败：须更正账户，或由第二人确认账户无误后再发放"
    ]
    with pytest.raises(ValidationError, match="上次发放失败后账户尚未更正或确认"):
        payment_batch_create(county=world.county_a, application_ids=[app.pk], actor=finance)
    change = account_change_propose(
        application=app,
        bank_name="内蒙古农商银行",
        holder="乌兰",
        account="6228 1111 2229 3333",
        reason="申请人提供新卡",
        document=png("card.png"),
        actor=finance,
    )
    assert AuditEvent.objects.get(event="account_change.proposed").changes == {
        "bank_account_number": ["6222 **** **** 1234", "6228 **** **** 3333"]
    }
    assert app not in payable(world.county_a)  # not yet: a second person confirms it
    with pytest.raises(ValidationError, match="须由提出人以外的另一人确认"):
        account_change_decide(change=change, actor=finance, accept=True)
    account_change_decide(change=change, actor=world.users["approver"], accept=True)
    assert app in payable(world.county_a)
    second = payment_batch_create(county=world.county_a, application_ids=[app.pk], actor=finance)
    assert second.payments.get().account_number == "6228111122293333"
    payment_record(payment=second.payments.get(), paid=True, actor=finance)
    app.refresh_from_db()
    assert app.status == Status.PAID
    with pytest.raises(ValidationError, match="当前为“已发放”"):
        payment_batch_create(county=world.county_a, application_ids=[app.pk], actor=finance)
    assert Payment.objects.filter(application=app, state="paid").count() == 1


def test_the_database_itself_refuses_a_second_live_line(world, approve_case):
    from django.db import IntegrityError, transaction

    app = approve_case()
    batch = payment_batch_create(
        county=world.county_a, application_ids=[app.pk], actor=world.users["finance"]
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            batch=batch,
            application=app,
            amount=1,
            payee_name="x",
            bank_name="y",
            account_number="1",
        )


def test_another_countys_cases_cannot_be_put_in_a_batch(world, approve_case):
    app = approve_case()
    with pytest.raises(ValidationError, match="不属于本县"):
        payment_batch_create(
            county=world.county_b, application_ids=[app.pk], actor=world.users["finance"]
        )
    assert Application.objects.get(pk=app.pk).status == Status.APPROVED
    assert Decimal(app.approved_amount) == Decimal("10500.00")


def test_a_payee_name_or_bank_that_would_run_reaches_the_bank_file_as_text(world, applicant):
    import zipfile

    app = case_at(
        world, applicant, Status.APPROVED,
        bank_account_holder='=HYPERLINK("http://evil.example/","点我")', bank_name="=1+1",
    )  # fmt: skip
    finance = world.users["finance"]
    batch = payment_batch_create(county=world.county_a, application_ids=[app.pk], actor=finance)
    content, _, _ = payment_batch_export(batch=batch, fmt="csv", actor=finance)
    row = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1]
    assert (row[3], row[4]) == ('\'=HYPERLINK("http://evil.example/","点我")', "'=1+1")
    content, _, _ = payment_batch_export(batch=batch, fmt="xlsx", actor=finance)
    assert (
        "<f>" not in zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    )
    cells = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))[1]
    assert (cells[3], cells[4]) == ('=HYPERLINK("http://evil.example/","点我")', "=1+1")


def test_the_desk_and_a_batch_page_write_an_access_row(client, world, approve_case):
    from django.urls import reverse

    app = approve_case()
    finance = world.users["finance"]
    batch = payment_batch_create(county=world.county_a, application_ids=[app.pk], actor=finance)
    client.force_login(finance)
    assert client.get(reverse("payments:index")).status_code == 200
    assert client.get(reverse("payments:batch_detail", args=[batch.pk])).status_code == 200
    views = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, actor=finance).order_by("id")
    assert [v.summary for v in views] == [
        "查看结算与发放（土默特左旗）：待发放 0 件，待补录账户 0 件",
        f"查看发放批次 {batch.number}（1 笔收款人与账户）",
    ]
    assert all(v.county == world.county_a for v in views)


def test_the_return_template_filled_in_as_the_page_describes_it_is_read_back(
    client, world, approve_case
):
    """The batch page names the column “结果（成功/失败）”: a file with that header (or half-width
    parentheses) is read, and the template the page offers is exactly such a file."""
    good, bad = approve_case(), approve_case()
    finance = world.users["finance"]
    batch = payment_batch_create(
        county=world.county_a, application_ids=[good.pk, bad.pk], actor=finance
    )
    client.force_login(finance)
    page = client.get(reverse("payments:batch_detail", args=[batch.pk])).content.decode()
    assert "结果（成功/失败）" in page and "下载本批次的回盘模板（CSV）" in page
    response = client.get(reverse("payments:batch_return_template", args=[batch.pk]))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["申请编号", "收款人", "金额（元）", "结果（成功/失败）", "失败原因", "日期"]
    assert [r[0] for r in rows[1:]] == [good.number, bad.number]
    assert all(r[3] == "" for r in rows[1:])  # the bank's answer is left to the bank
    rows[1][3], rows[1][5] = "成功", "2026-11-25"
    rows[2][3], rows[2][4] = "失败", "户名不符"
    rows[0][2] = "金额(元)"  # the bank's software writes half-width parentheses
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    result = payment_return_import(
        batch=batch, data=out.getvalue().encode(), name="回盘.csv", actor=finance
    )
    assert (result.paid, result.failed, result.problems) == (1, 1, [])
    assert Payment.objects.get(application=bad).failure_reason == "户名不符"


def test_the_desk_shows_the_total_to_pay_and_the_administrator_chooses_the_county(
    client, world, approve_case
):
    first, second = approve_case(), approve_case()
    client.force_login(world.users["finance"])
    page = client.get(reverse("payments:index")).content.decode()
    total = first.approved_amount + second.approved_amount
    assert f"已选 2 件，合计 {total:,.2f} 元" in page
    assert f'data-amount="{first.approved_amount}"' in page
    assert 'data-testid="county-choice"' not in page  # finance has one county
    client.force_login(world.users["admin"])
    page = client.get(reverse("payments:index")).content.decode()
    assert 'data-testid="county-choice"' in page and world.county_b.name in page
    other = client.get(reverse("payments:index"), {"county": world.county_b.pk}).content.decode()
    assert f"结算与发放 · {world.county_b.name}" in other and first.number not in other


def test_a_result_that_is_neither_paid_nor_failed_records_nothing(client, world, approve_case):
    app = approve_case()
    finance = world.users["finance"]
    batch = payment_batch_create(county=world.county_a, application_ids=[app.pk], actor=finance)
    line = batch.payments.get()
    client.force_login(finance)
    url = reverse("payments:payment_record", args=[line.pk])
    page = client.post(url, {"result": "9999", "reason": "账号错误"}, follow=True)
    assert "请选择银行结果：成功或失败。未登记任何结果。" in page.content.decode()
    page = client.post(url, {"result": "failed", "reason": "户" * 201}, follow=True)
    assert "失败原因最多 200 字（现在 201 字），请精简。" in page.content.decode()
    line.refresh_from_db()
    assert line.state == "pending" and line.failure_reason == ""
