"""The printed pages keep their layout (issue 18): the receipt, the promise, the approval and
rejection letters and the payment list fit where they should, their closing (signature and seal)
never stands alone on a page, and no text prints over another (checked on the PDF's own word boxes
with ``pdftotext -bbox``). Real WeasyPrint output, real cases through the services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from applications.documents import letter_render
from applications.models import Status
from payments.services import payment_batch_create
from tests.factories import PersonFactory, case_at, make_application, make_expense, walk
from tests.pdf_layout import overlaps, pages

pytestmark = pytest.mark.django_db

HOSPITALS = ["内蒙古医科大学附属医院", "土默特左旗医院", "呼和浩特市第一医院"]


def three_bills():
    return [
        make_expense(
            hospital=name,
            total=Decimal("20000.00") + n,
            policy_scope=Decimal("18000.00"),
            basic_paid=Decimal("9000.00"),
            critical_paid=Decimal("1000.00"),
        )
        for n, name in enumerate(HOSPITALS)
    ]


def read(letter) -> bytes:
    with letter.file.open("rb") as handle:
        return handle.read()


def test_the_receipt_and_the_promise_are_one_page_with_nothing_printed_over(
    world, applicant, accept, tmp_path
):
    app = accept(
        make_application(
            applicant,
            world.users["clerk"],
            expenses=three_bills(),
        ),
        missing=["invoice", "diagnosis", "discharge"],
    )
    for kind in ("receipt", "promise"):
        pdf = read(letter_render(application=app, kind=kind, actor=world.users["clerk"]))
        text = pages(pdf, tmp_path)
        assert len(text) == 1, f"{kind}: {len(text)} pages"
        assert overlaps(pdf, tmp_path) == [], kind
    assert (
        "盖章"
        in pages(read(letter_render(application=app, kind="receipt", actor=None)), tmp_path)[0]
    )


def test_the_approval_letter_of_three_bills_keeps_its_closing_with_the_amount(
    world, applicant, tmp_path
):
    app = case_at(world, applicant, Status.APPROVED, expenses=three_bills())
    pdf = read(letter_render(application=app, kind="approval", actor=None))
    text = pages(pdf, tmp_path)
    assert overlaps(pdf, tmp_path) == []
    sealed = [page for page in text if "（经办机构盖章）" in page]
    assert len(sealed) == 1
    # the page with the seal also says what is paid and to which account, never the seal alone
    assert "救助金" in sealed[0] and "将转入您的账户" in sealed[0]


def test_the_approval_letter_of_one_bill_is_one_page(world, applicant, tmp_path):
    app = case_at(world, applicant, Status.APPROVED)
    pdf = read(letter_render(application=app, kind="approval", actor=None))
    assert len(pages(pdf, tmp_path)) == 1
    assert overlaps(pdf, tmp_path) == []


def test_a_rejection_is_one_page(world, applicant, tmp_path):
    app = walk(
        world,
        make_application(applicant, world.users["clerk"]),
        Status.REJECTED,
        reject="out_of_region",
        recommendation="approve",
        reject_note="未办理转诊备案",
    )
    pdf = read(letter_render(application=app, kind="rejection", actor=None))
    assert len(pages(pdf, tmp_path)) == 1
    assert overlaps(pdf, tmp_path) == []


def test_the_payment_list_keeps_long_numbers_and_names_in_their_columns(
    client, world, applicant, tmp_path
):
    people = [
        applicant,
        PersonFactory(township=world.town_a1, name="阿拉腾其其格·巴图孟和"),
        PersonFactory(township=world.town_a1, name="欧阳娜仁高娃"),
    ]
    for person in people[1:]:
        person.identities.create(
            category="dibao", department="民政", certified_on="2023-01-01", source="user"
        )
    cases = [
        case_at(world, person, Status.APPROVED, bank_name="中国农业银行股份有限公司土默特左旗支行")
        for person in people
    ]
    batch = payment_batch_create(
        county=world.county_a, application_ids=[c.pk for c in cases], actor=world.users["finance"]
    )
    client.force_login(world.users["finance"])
    response = client.get(reverse("payments:batch_pdf", args=[batch.pk]))
    assert response.status_code == 200
    pdf = response.content
    assert len(pages(pdf, tmp_path)) == 1
    assert overlaps(pdf, tmp_path) == []
    assert cases[0].number in pages(pdf, tmp_path)[0]


def test_the_list_for_civil_affairs_keeps_its_figures_in_their_cells(
    client, world, accept, tmp_path
):
    """The 因病致贫 pre-check list the county sends to 民政 (issue 19): full ID numbers, the
    figures of each test, nothing printed over another, the seal on the page of the last rows."""
    from applications.models import IllnessCheck
    from applications.services import Household, illness_check_save
    from settlements.services import policy_version_create

    policy_version_create(
        policy_code="hohhot-2023",
        effective_from=__import__("datetime").date(2023, 1, 1),
        values={
            "city_income": "50000.00",
            "illness_poor.dibao_standard.urban": {"150121": "9600.00"},
        },
        source="测试",
        actor=world.users["admin"],
    )
    clerk = world.users["clerk"]
    for n in range(3):
        person = PersonFactory(township=world.town_a1, name=["欧阳娜仁高娃", "巴特尔", "高娜仁"][n])
        app = accept(make_application(person, clerk, category="illness_poor"))
        illness_check_save(
            application=app,
            household=Household(4, Decimal("36000.00") + n, True, False, True),
            actor=clerk,
        )
    client.force_login(world.users["reviewer"])
    pdf = client.post(reverse("applications:illness_list_pdf")).content
    text = "".join(pages(pdf, tmp_path))
    assert len(pages(pdf, tmp_path)) == 1
    first = IllnessCheck.objects.order_by("pk").first().application.person
    flat = text.replace(" ", "")
    assert "巴特尔" in flat and first.id_number in flat and "盖章" in flat
    assert "9,000.00" in flat  # 36,000.00 ÷ 4 a head
    assert overlaps(pdf, tmp_path) == []


def test_the_transfer_list_and_the_monthly_report_keep_their_figures_in_their_cells(
    client, world, tmp_path
):
    """Issue 20's papers: the subsidy transfer list (long names, full ID numbers) and the monthly
    statistical report (two pages of rows, the signatures with the last ones)."""
    from datetime import date

    from beneficiaries.models import HardshipIdentity
    from monitoring.monthly import report_generate
    from payments.transfers import transfer_prepare
    from settlements.services import policy_version_create
    from settlements.subsidies import roster_build

    policy_version_create(
        policy_code="hohhot-2023", effective_from=date(2023, 1, 1),
        values={"subsidy.contribution": "400.00"}, source="测试", actor=world.users["admin"],
    )  # fmt: skip
    for name in ("阿拉腾其其格·巴图孟和", "欧阳娜仁高娃", "巴特尔"):
        person = PersonFactory(township=world.town_a1, name=name)
        HardshipIdentity.objects.create(
            person=person, category="tekun", department="民政", certified_on=date(2024, 1, 1),
            source="import",
        )  # fmt: skip
    roster = roster_build(county=world.county_a, year=2026, actor=None)
    transfer = transfer_prepare(roster=roster, actor=world.users["finance"])
    client.force_login(world.users["finance"])
    pdf = client.get(reverse("payments:transfer_pdf", args=[transfer.pk])).content
    flat = "".join(pages(pdf, tmp_path)).replace(" ", "")
    assert len(pages(pdf, tmp_path)) == 1
    assert "1,200.00" in flat and "盖章" in flat and "阿拉腾其其格" in flat
    assert overlaps(pdf, tmp_path) == []

    report = report_generate(city=world.county_a.city, county=world.county_a, year=2026, month=10)
    pdf = client.get(reverse("monitoring:monthly_download", args=[report.pk, "pdf"])).content
    texts = pages(pdf, tmp_path)
    assert "填报人" in texts[-1] and "追回退回" in texts[-1]  # the closing is with the last rows
    assert "一、总体" in texts[0]
    assert overlaps(pdf, tmp_path) == []
