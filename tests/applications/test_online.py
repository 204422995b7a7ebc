"""网上补交: the code by SMS (rate-limited, one answer whatever the phone), the upload checked like
the window's scans (a bomb refused, nothing kept), the window confirming (the promise closes) or
refusing (an SMS with the reason), each step audited, and no one else's case reachable."""

from __future__ import annotations

import io
import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from PIL import Image

from applications.models import InboxMessage, Notification, OnlineCode, OnlineUpload, PromiseStatus
from audit.models import AuditEvent
from tests.factories import make_application
from tests.fuzz_corpus import png_bomb

STATUS, ONLINE = reverse("status"), reverse("status_online")


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()


@pytest.fixture
def case(world, applicant, accept, time_machine):
    time_machine.move_to("2026-11-23 10:00 +0800")
    return accept(
        make_application(applicant, world.users["clerk"]),
        missing=["invoice", "diagnosis"],
        forward=True,
    )


def photo(name="invoice.jpg", size=(3000, 2000)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def prove(client, app):
    client.post(STATUS, {"number": app.number, "id_tail": app.person.id_number[-6:]})


def last_code(app) -> str:
    text = Notification.objects.filter(application=app, kind="code").latest("id").text
    return re.search(r"验证码 (\d{6})", text).group(1)


def signed_in(client, app):
    prove(client, app)
    client.post(ONLINE, {"action": "send"})
    assert client.post(ONLINE, {"action": "code", "code": last_code(app)}).status_code == 302


def test_the_status_page_offers_it_only_with_an_open_promise(client, case):
    prove(client, case)
    page = client.get(f"{STATUS}?number={case.number}").content.decode()
    assert "网上补交材料" in page and reverse("status_online") in page


def test_without_the_status_check_nothing_is_shown(client, case):
    response = client.get(ONLINE)
    assert response.status_code == 403 and case.number not in response.content.decode()
    client.post(ONLINE, {"action": "send"})
    assert not OnlineCode.objects.exists()


def test_a_code_by_sms_lets_the_applicant_in_once(client, case):
    prove(client, case)
    page = client.post(ONLINE, {"action": "send"}).content.decode()
    assert "验证码已发到申请时登记的手机号，5 分钟内有效" in page
    sms = Notification.objects.get(application=case, kind="code")
    assert sms.phone == "13800138000" and "5 分钟内有效" in sms.text
    code = last_code(case)
    assert code not in OnlineCode.objects.get().digest  # only a keyed digest is kept
    wrong = "000000" if code != "000000" else "111111"
    assert (
        "验证码不正确或已过期"
        in client.post(ONLINE, {"action": "code", "code": wrong}).content.decode()
    )
    assert client.post(ONLINE, {"action": "code", "code": code}).status_code == 302
    page = client.get(ONLINE).content.decode()
    assert "医疗费用发票（原件）" in page and "诊断证明" in page and 'name="m-invoice"' in page
    # used once: the same code again is refused
    client.cookies.pop("status_online")
    assert "验证码不正确" in client.post(ONLINE, {"action": "code", "code": code}).content.decode()
    events = AuditEvent.objects.filter(event__startswith="online.").values_list("event", flat=True)
    assert list(events.order_by("id")) == ["online.code_sent", "online.signed_in"]


def test_a_code_dies_after_five_wrong_tries_and_after_five_minutes(client, case, time_machine):
    prove(client, case)
    client.post(ONLINE, {"action": "send"})
    code = last_code(case)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        client.post(ONLINE, {"action": "code", "code": wrong})
    assert client.post(ONLINE, {"action": "code", "code": code}).status_code == 200
    client.post(ONLINE, {"action": "send"})
    time_machine.move_to("2026-11-23 10:06 +0800")
    prove(client, case)
    assert client.post(ONLINE, {"action": "code", "code": last_code(case)}).status_code == 200


@override_settings(ONLINE_CODE_RATE_PER_APPLICATION="2/15m")
def test_codes_are_rate_limited_per_application(client, case):
    prove(client, case)
    for _ in range(2):
        assert client.post(ONLINE, {"action": "send"}).status_code == 200
    response = client.post(ONLINE, {"action": "send"})
    assert response.status_code == 429 and "获取验证码的次数太多" in response.content.decode()
    assert Notification.objects.filter(kind="code").count() == 2


def test_the_answer_is_the_same_without_a_phone(client, case):
    type(case).objects.filter(pk=case.pk).update(contact_phone="", agent_phone="")
    prove(client, case)
    page = client.post(ONLINE, {"action": "send"}).content.decode()
    assert "验证码已发到申请时登记的手机号" in page
    assert not Notification.objects.filter(kind="code").exists()


def test_an_upload_without_a_live_code_keeps_nothing_and_says_why(client, case):
    prove(client, case)
    response = client.post(ONLINE, {"action": "upload", "m-invoice": photo()})
    assert response.status_code == 403 and "请重新获取验证码" in response.content.decode()
    assert not OnlineUpload.objects.exists()


def test_a_photo_is_shrunk_and_waits_for_the_window(client, world, case):
    signed_in(client, case)
    page = client.post(ONLINE, {"action": "upload", "m-invoice": photo()}).content.decode()
    assert "已上传 1 个文件" in page
    row = OnlineUpload.objects.get()
    assert (row.material, row.state, row.content_type) == ("invoice", "pending", "image/jpeg")
    with Image.open(row.file.open("rb")) as image:
        assert max(image.size) == 2000
    case.refresh_from_db()
    assert case.promise_status == PromiseStatus.PENDING  # not received until the window confirms
    assert InboxMessage.objects.filter(
        recipient=world.users["clerk"],
        kind="online",
        text=f"{case.number} 申请人网上补交了医疗费用发票（原件），请到案件页核对。",
    ).exists()


def test_a_bomb_or_a_fake_keeps_nothing(client, case):
    signed_in(client, case)
    bomb = SimpleUploadedFile("photo.png", png_bomb(), content_type="image/png")
    fake = SimpleUploadedFile("invoice.jpg", b"MZ\x90\x00 not a photo", content_type="image/jpeg")
    response = client.post(
        ONLINE, {"action": "upload", "m-invoice": [photo()], "m-diagnosis": [bomb, fake]}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "尺寸大得异常" in page and "不是 JPEG、PNG 图片或 PDF 文件" in page
    assert not OnlineUpload.objects.exists()


def test_the_window_confirms_and_the_promise_closes(client, world, case):
    signed_in(client, case)
    client.post(ONLINE, {"action": "upload", "m-invoice": photo(), "m-diagnosis": photo("d.jpg")})
    clerk = world.users["clerk"]
    staff = client.__class__()
    staff.force_login(clerk)
    page = staff.get(case.get_absolute_url()).content.decode()
    assert "网上补交" in page and "2 项待核对" in page
    file_id = OnlineUpload.objects.filter(material="invoice").get().pk
    assert staff.get(reverse("applications:online_file", args=[file_id])).status_code == 200
    for code in ("invoice", "diagnosis"):
        staff.post(reverse("applications:online_accept", args=[case.number, code]))
    case.refresh_from_db()
    assert case.promise_status == PromiseStatus.FULFILLED
    assert case.attachments.filter(original_name__startswith="网上补交-").count() == 2
    assert set(OnlineUpload.objects.values_list("state", flat=True)) == {"accepted"}
    assert Notification.objects.filter(application=case, kind="fulfilled").exists()
    # a second click changes nothing and says why
    response = staff.post(
        reverse("applications:online_accept", args=[case.number, "invoice"]), follow=True
    )
    assert "没有待核对的网上补交文件" in response.content.decode()
    events = list(
        AuditEvent.objects.filter(event__startswith="online.").values_list("event", flat=True)
    )
    assert events.count("online.accepted") == 2 and "online.viewed" in events


def test_the_window_refuses_with_a_reason_by_sms(client, world, case):
    signed_in(client, case)
    client.post(ONLINE, {"action": "upload", "m-invoice": photo()})
    staff = client.__class__()
    staff.force_login(world.users["clerk"])
    url = reverse("applications:online_refuse", args=[case.number, "invoice"])
    assert "请写明未通过的原因" in staff.post(url, {"reason": " "}, follow=True).content.decode()
    assert OnlineUpload.objects.get().state == "pending"
    staff.post(url, {"reason": "照片看不清金额。"})
    row = OnlineUpload.objects.get()
    assert (row.state, row.refuse_reason) == ("refused", "照片看不清金额。")
    sms = Notification.objects.get(application=case, kind="online_refused").text
    assert (
        "“医疗费用发票（原件）”未通过核对：照片看不清金额。请重新拍照上传" in sms
        and "。。" not in sms
    )
    page = client.get(ONLINE).content.decode()
    assert "未通过（照片看不清金额。）" in page and 'name="m-invoice"' in page  # may send again


def test_another_township_cannot_confirm_or_open(client, world, case):
    signed_in(client, case)
    client.post(ONLINE, {"action": "upload", "m-invoice": photo()})
    stranger = client.__class__()
    stranger.force_login(world.clerk_b1)
    row = OnlineUpload.objects.get()
    assert stranger.get(reverse("applications:online_file", args=[row.pk])).status_code == 404
    assert (
        stranger.post(
            reverse("applications:online_accept", args=[case.number, "invoice"])
        ).status_code
        == 404
    )
    row.refresh_from_db()
    assert row.state == "pending"


def test_large_text_is_kept_for_the_session(client, case):
    client.get(f"{STATUS}?large=1")
    assert 'class="large"' in client.get(STATUS).content.decode()
    prove(client, case)
    assert 'class="large"' in client.get(ONLINE).content.decode()
    client.get(f"{STATUS}?large=0")
    assert 'class="large"' not in client.get(STATUS).content.decode()
