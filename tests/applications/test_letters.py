"""The case's PDF documents: real WeasyPrint output checked with poppler's pdftotext and pdffonts."""

from __future__ import annotations

import re
import subprocess

import pytest
from django.urls import reverse

from applications.documents import letter_render
from applications.models import Letter, Status
from applications.tasks import render_letters
from audit.models import AuditEvent
from core.pdf import UnprintableText
from tests.factories import PersonFactory, make_application, walk


def text_of(letter: Letter, tmp_path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(letter.file.read())
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return re.sub(r"\s+", "", out)


def fonts_of(letter: Letter, tmp_path) -> list[list[str]]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(letter.file.read())
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


@pytest.fixture
def promised(world, applicant, accept, time_machine):
    time_machine.move_to("2026-11-23 09:00 +0800")
    return accept(
        make_application(applicant, world.users["clerk"]),
        missing=["invoice", "diagnosis"],
        forward=True,
    )


def decide(world, app, approve=True):
    if approve:
        return walk(world, app, Status.APPROVED)
    return walk(
        world,
        app,
        Status.REJECTED,
        reject="out_of_region",
        recommendation="approve",
        reject_note="未办理转诊备案",
    )


def test_receipt_and_promise_name_the_missing_materials_and_the_due_date(world, promised, tmp_path):
    receipt = letter_render(application=promised, kind="receipt", actor=world.users["clerk"])
    text = text_of(receipt, tmp_path)
    for expected in [
        "医疗救助申请受理回执",
        promised.number,
        "乌兰",
        "2026-11-30",
        "医疗费用发票（原件）",
        "诊断证明",
        "一次性告知",
    ]:
        assert expected in text, expected
    assert promised.person.id_number not in text  # masked on paper too
    assert len(receipt.sha256) == 64 and receipt.size > 1000
    promise = letter_render(application=promised, kind="promise")
    text = text_of(promise, tmp_path)
    assert (
        "医疗救助申请材料补交承诺书" in text and "2026-11-30" in text and "受理之日起7日内" in text
    )


def test_the_fonts_are_cjk_embedded_and_subset(world, promised, tmp_path):
    fonts = fonts_of(letter_render(application=promised, kind="receipt"), tmp_path)
    assert fonts, "no fonts in the PDF"
    for row in fonts:
        assert "CJK" in row[0], row  # e.g. AAAAAA+NotoSerifCJKsc-Regular
        assert re.match(r"^[A-Z]{6}\+", row[0]), row  # a subset
        assert row[-5] == "yes" and row[-4] == "yes", row  # emb, sub


def test_the_approval_letter_has_the_settlement_by_layer_and_the_masked_account(
    world, applicant, accept, tmp_path
):
    app = accept(
        make_application(
            applicant,
            world.users["clerk"],
            bank_name="内蒙古农村信用社",
            bank_account_holder="乌兰",
            bank_account_number="6228480000000000018",
        ),
        forward=True,
    )
    app = decide(world, app)
    letter = letter_render(application=app, kind="approval")
    text = text_of(letter, tmp_path)
    for expected in [
        "医疗救助审批通知书",
        app.number,
        "给予医疗救助10,500.00元",
        letter.code,
        "医疗救助：低保对象政策范围内自付15,000.00元×70%=10,500.00元",
        "内蒙古农村信用社乌兰6228****",
        "0018",
        "hohhot-2023第1版",
    ]:
        assert expected in text, expected
    assert "6228480000000000018" not in text


def test_the_rejection_notice_gives_the_reason_and_the_rights(world, promised, tmp_path):
    world.county_a.reconsideration_body = "土默特左旗人民政府"
    world.county_a.court = "土默特左旗人民法院"
    world.county_a.save()
    app = decide(world, promised, approve=False)
    text = text_of(letter_render(application=app, kind="rejection"), tmp_path)
    for expected in [
        "不予医疗救助告知书",
        "自治区外就医且未规范转诊：未办理转诊备案",
        "60日内",
        "向土默特左旗人民政府申请行政复议",
        "6个月内",
        "向土默特左旗人民法院提起行政诉讼",
        "行政复议法",
        "行政诉讼法",
    ]:
        assert expected in text, expected


def test_a_name_no_font_can_print_is_reported_not_boxed(client, world, accept):
    person = PersonFactory(township=world.town_a1, name="王\U0003134a")  # CJK Extension G
    app = accept(make_application(person, world.users["clerk"], category="other"))
    with pytest.raises(
        UnprintableText, match=r"申请人姓名“王.”中的“.”（U\+3134A）无法用已安装的字体打印"
    ):
        letter_render(application=app, kind="receipt")
    assert not Letter.objects.exists()
    client.force_login(world.users["clerk"])
    page = client.get(app.get_absolute_url()).content.decode()
    assert "（U+3134A）无法用已安装的字体打印" in page


def test_a_rare_character_the_fonts_have_prints(world, accept, tmp_path):
    person = PersonFactory(
        township=world.town_a1, name="刘䶮"
    )  # U+4DAE, not in the small WQY fonts
    app = accept(make_application(person, world.users["clerk"], category="other"))
    assert "刘䶮" in text_of(letter_render(application=app, kind="receipt"), tmp_path)


def test_staff_of_the_area_download_letters_others_cannot(client, world, promised):
    render_letters(promised.pk)  # what the worker runs after acceptance
    assert set(Letter.objects.values_list("kind", flat=True)) == {"receipt", "promise"}
    url = reverse("applications:letter", args=[promised.number, "receipt"])
    client.force_login(world.users["reviewer"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert (
        AuditEvent.objects.filter(
            event="letter.viewed", summary__startswith="下载受理回执", actor_username="t_reviewer"
        ).count()
        == 1
    )
    for outsider in (world.reviewer_b, world.clerk_b1, world.clerk_a2):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    render_letters(promised.pk)  # run again: nothing new
    assert Letter.objects.count() == 2


def test_no_approval_letter_before_the_decision(client, world, promised):
    client.force_login(world.users["reviewer"])
    response = client.get(
        reverse("applications:letter", args=[promised.number, "approval"]), follow=True
    )
    assert "本案目前没有“审批通知书”" in response.content.decode()
    assert not Letter.objects.filter(kind="approval").exists()


def test_the_notice_list_and_the_payment_list_print_masked(
    client, world, applicant, accept, tmp_path
):
    from payments.models import PaymentBatch
    from payments.services import payment_batch_create

    app = accept(
        make_application(applicant, world.users["clerk"]),
        forward=True,
    )
    app = decide(world, app)
    batch = payment_batch_create(
        county=world.county_a, application_ids=[app.pk], actor=world.users["finance"]
    )
    client.force_login(world.users["finance"])
    response = client.get(reverse("payments:batch_pdf", args=[batch.pk]))
    path = tmp_path / "batch.pdf"
    path.write_bytes(response.content)
    text = re.sub(
        r"\s+",
        "",
        subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout,
    )
    assert (
        "医疗救助金发放清单" in text
        and batch.number in text
        and "乌兰" in text
        and "10,500.00" in text
    )
    assert "6222****" in text and "6222000000051234" not in text
    assert PaymentBatch.objects.count() == 1
    client.force_login(world.users["approver"])
    response = client.get(reverse("applications:notices"), {"format": "pdf"})
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
