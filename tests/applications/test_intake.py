"""Intake services: the number, the checklist, acceptance with and without a promise, late
materials, uploads checked by content, and the outbox message to the applicant."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from applications.models import (
    Application,
    ApplicationEvent,
    Attachment,
    Material,
    Notification,
    PromiseStatus,
    Status,
)
from applications.services import application_accept, attachment_add, material_receive
from audit.models import AuditEvent
from tests.factories import PersonFactory, make_application, make_expense


def pdf(name="scan.pdf", *, tamper=None) -> SimpleUploadedFile:
    """A real one-page PDF (pypdf), optionally with ``tamper(writer)`` applied before writing."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if tamper is not None:
        tamper(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def png(name="invoice.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_numbers_are_county_date_sequence(world, applicant, time_machine):
    time_machine.move_to("2026-11-23 09:00 +0800")
    first = make_application(applicant, world.users["clerk"])
    second = make_application(applicant, world.users["clerk"])
    assert (first.number, second.number) == ("150121-20261123-0001", "150121-20261123-0002")
    other = PersonFactory(township=world.town_b1)
    assert (
        make_application(other, world.clerk_b1, category="other").number == "150122-20261123-0001"
    )


def test_the_draft_has_the_checklist_of_its_identity_and_expenses(world, applicant):
    app = make_application(
        applicant, world.users["clerk"], agent_name="村干部", agent_id_number="150121196001010022"
    )
    codes = list(app.materials.values_list("code", flat=True))
    assert codes == [
        "application_form",
        "id_card",
        "bank_account",
        "agent_id",
        "entrustment",
        "invoice",
        "cost_list",
        "settlement_slip",
        "discharge_summary",
        "diagnosis",
    ]
    assert app.status == Status.DRAFT and app.claimed_total == Decimal("60000.00")
    assert app.identity is not None and app.identity.category == "dibao"


def test_only_the_applicants_township_clerk_takes_the_application(world, applicant):
    with pytest.raises(ValidationError, match="只有申请人所在乡镇"):
        make_application(applicant, world.clerk_a2)
    with pytest.raises(ValidationError, match="只有申请人所在乡镇"):
        make_application(applicant, world.users["reviewer"])
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"discharged_on": date(2026, 10, 1)}, "discharged_on", "出院日期不能早于入院日期"),
        ({"policy_scope": Decimal("70000.00")}, "policy_scope", "政策范围内费用不能大于医疗总费用"),
        ({"basic_paid": Decimal("59000.00")}, "critical_paid", "之和不能大于医疗总费用"),
        ({"kind": "outpatient", "visit_on": None}, "visit_on", "门诊费用须填写就诊日期"),
        ({"discharged_on": date(2099, 1, 1)}, "discharged_on", "日期不能晚于今天"),
    ],
)
def test_bad_expenses_are_refused_and_nothing_is_saved(world, applicant, change, field, message):
    with pytest.raises(ValidationError) as caught:
        make_application(applicant, world.users["clerk"], expenses=[make_expense(**change)])
    assert message in " ".join(caught.value.message_dict[field])
    assert not Application.objects.exists()


def test_accepting_with_everything_in(world, draft, accept, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        app = accept(draft)
    assert (app.status, app.promise_status, app.promise_due_on) == (
        Status.ACCEPTED,
        PromiseStatus.NONE,
        None,
    )
    assert not app.materials.filter(received_at__isnull=True).exists()
    note = Notification.objects.get(application=app)
    assert note.phone == "13800138000" and "材料齐全" in note.text and note.state == "pending"
    assert len(callbacks) == 2  # the message delivery and the letters, queued after commit


def test_missing_materials_need_the_promise(world, draft):
    codes = set(draft.materials.values_list("code", flat=True)) - {"invoice", "diagnosis"}
    with pytest.raises(
        ValidationError,
        match=r"还缺 2 项材料（医疗费用发票（原件）、诊断证明）：须由申请人签署承诺书",
    ):
        application_accept(
            application=draft, actor=world.users["clerk"], received=codes, promise_signed=False
        )
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert not Material.objects.filter(application=draft, received_at__isnull=False).exists()


def test_the_promise_is_due_seven_calendar_days_after_acceptance(
    world, applicant, accept, time_machine
):
    time_machine.move_to("2026-09-29 15:00 +0800")
    stay = make_expense(admitted_on=date(2026, 9, 20), discharged_on=date(2026, 9, 28))
    draft = make_application(applicant, world.users["clerk"], expenses=[stay])
    app = accept(draft, missing=["invoice", "diagnosis"], forward=True)
    assert app.status == Status.FORWARDED  # accepted and moved on at once
    assert (app.promise_status, str(app.promise_due_on)) == (PromiseStatus.PENDING, "2026-10-06")
    note = Notification.objects.get(application=app, kind="accepted")
    assert (
        "尚缺：医疗费用发票（原件）、诊断证明，请于2026-10-06前交到察素齐镇社会救助窗口"
        in note.text
    )
    assert [e.action for e in ApplicationEvent.objects.filter(application=app)] == [
        "create",
        "accept",
        "forward",
    ]


def test_the_last_late_material_fulfils_the_promise(world, draft, accept):
    app = accept(draft, missing=["invoice", "diagnosis"])
    clerk = world.users["clerk"]
    app = material_receive(application=app, code="invoice", actor=clerk, files=[png()])
    assert app.promise_status == PromiseStatus.PENDING
    assert Material.objects.get(application=app, code="invoice").late is True
    assert Attachment.objects.get(application=app).content_type == "image/png"
    app = material_receive(application=app, code="diagnosis", actor=clerk)
    assert app.promise_status == PromiseStatus.FULFILLED and app.promise_fulfilled_at is not None
    assert ApplicationEvent.objects.filter(application=app, action="promise_fulfilled").count() == 1
    audit = AuditEvent.objects.get(
        target_id=str(app.pk), event="material.received", summary__endswith="承诺材料已全部补齐"
    )
    assert audit.changes == {"promise_status": ["pending", "fulfilled"]}
    assert Notification.objects.filter(application=app, kind="fulfilled").count() == 1
    with pytest.raises(ValidationError, match="已经收到，不必重复登记"):
        material_receive(application=app, code="diagnosis", actor=clerk)


def test_materials_after_an_overdue_promise_still_fulfil_it(world, draft, accept):
    app = accept(draft, missing=["invoice"])
    Application.objects.filter(pk=app.pk).update(promise_status=PromiseStatus.OVERDUE)
    app = material_receive(application=app, code="invoice", actor=world.users["clerk"])
    assert app.promise_status == PromiseStatus.FULFILLED


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("scan.jpg", b"this is not a picture", content_type="image/jpeg"),
            "不是 JPEG、PNG 图片或 PDF 文件",
        ),
        (
            SimpleUploadedFile(
                "scan.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, content_type="image/png"
            ),
            "已损坏或不完整",
        ),
        (
            SimpleUploadedFile("scan.pdf", b"%PDF-1.4 cut short", content_type="application/pdf"),
            "PDF 文件“scan.pdf”不完整",
        ),
        (SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf"), "是空的"),
    ],
)
def test_fake_and_broken_uploads_are_refused_and_nothing_changes(
    world, draft, accept, upload, message
):
    app = accept(draft, missing=["invoice"])
    with pytest.raises(ValidationError, match=message):
        material_receive(
            application=app, code="invoice", actor=world.users["clerk"], files=[upload]
        )
    assert Material.objects.get(application=app, code="invoice").received_at is None
    assert not Attachment.objects.exists()


def test_oversized_uploads_are_refused(world, draft, accept, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    app = accept(draft)
    big = SimpleUploadedFile(
        "big.pdf", b"%PDF-1.4\n" + b"0" * 2000 + b"\n%%EOF", content_type="application/pdf"
    )
    with pytest.raises(ValidationError) as caught:
        attachment_add(application=app, code="invoice", upload=big, actor=world.users["clerk"])
    assert caught.value.messages == [
        "文件“big.pdf”太大（2.0\xa0KB），每个文件不能超过 1.0\xa0KB，请压缩或分页扫描。"
    ]
    assert not Attachment.objects.exists()


def test_a_pdf_is_stored_outside_the_web_root_under_a_name_of_our_own(
    world, draft, accept, settings
):
    app = accept(draft)
    upload = pdf("../../etc/passwd.pdf")
    item = attachment_add(
        application=app, code="invoice", upload=upload, actor=world.users["clerk"]
    )
    assert item.file.path.startswith(str(settings.MEDIA_ROOT / "private" / "applications"))
    assert item.file.name.endswith(".pdf") and "passwd" not in item.file.name
    assert item.original_name == "passwd.pdf"  # Django drops the path; the name is only a label


def test_a_reopened_draft_shows_its_dates_to_the_browsers_date_picker(client, world, draft):
    """A type=date input takes only YYYY-MM-DD: the localized 2026/10/08 left the pickers empty."""
    from django.urls import reverse

    client.force_login(world.users["clerk"])
    page = client.get(reverse("applications:edit", args=[draft.number])).content.decode()
    assert 'name="e-0-admitted_on" value="2026-10-08"' in page
    assert 'name="e-0-discharged_on" value="2026-10-20"' in page
    assert "2026/10/08" not in page


def _open_action(kind):
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    def tamper(writer):
        action = {NameObject("/S"): NameObject(kind)}
        if kind == "/JavaScript":
            action[NameObject("/JS")] = TextStringObject("app.alert('x');")
        else:
            action[NameObject("/F")] = TextStringObject("calc.exe")
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(action)

    return tamper


@pytest.mark.parametrize(
    ("tamper", "words"),
    [
        (_open_action("/JavaScript"), "JavaScript 脚本"),
        (_open_action("/Launch"), "启动外部程序的动作"),
        (lambda w: w.add_attachment("a.exe", b"MZ"), "嵌入的文件"),
    ],
)
def test_a_pdf_that_could_run_or_open_something_is_refused(world, draft, accept, tamper, words):
    app = accept(draft)
    with pytest.raises(ValidationError) as refused:
        attachment_add(
            application=app, code="invoice", upload=pdf("x.pdf", tamper=tamper),
            actor=world.users["clerk"],
        )  # fmt: skip
    assert words in refused.value.messages[0]
    assert refused.value.messages[0].startswith("PDF 文件“x.pdf”含有")
    assert not Attachment.objects.exists()
