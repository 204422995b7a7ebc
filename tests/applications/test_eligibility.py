"""Eligibility at the window (issue 19): a certificate recorded at the window and verified (or
refused) by the county, or verified by a department's import; the 因病致贫 pre-check; the filing
limit; the second-case warning; the channel of one-stop identities."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from applications.models import (
    Application,
    ApplicationEvent,
    InboxMessage,
    Status,
)
from applications.services import (
    application_approve,
    application_identity_decide,
    application_transition,
)
from applications.settling import case_preview
from applications.workflow import refusal
from audit.models import AuditEvent
from beneficiaries.claims import Certificate
from beneficiaries.models import HardshipIdentity, IdentityClaim
from tests.factories import PersonFactory, make_application, walk

CERT = Certificate("dibao_edge", "民政", "BY-2026-0107", date(2026, 1, 5))


@pytest.fixture
def newcomer(world):
    """A 低保边缘 applicant the registry does not know as such (no identity at all)."""
    return PersonFactory(township=world.town_a1, name="王秀兰", phone="13900007777")


def in_notice(world, app):
    """Accepted with every material, forwarded, reviewed and recommended: 公示 for 低保边缘."""
    app = walk(world, app, Status.IN_REVIEW)
    return walk(world, app, Status.RECOMMENDED)  # stops in NOTICE: the loop's target differs


def recommended(world, app, time_machine):
    time_machine.move_to("2026-11-23 09:00 +0800")  # a Monday; notice to 2026-11-30
    app = walk(world, app, Status.IN_REVIEW)
    from applications.services import application_recommend

    app = application_recommend(
        application=app, actor=world.users["reviewer"], recommendation="approve"
    )
    assert app.status == Status.NOTICE
    time_machine.move_to("2026-12-01 09:00 +0800")  # the notice is over
    return app


# --- a certificate recorded at the window -----------------------------------------------------


def test_a_certificate_recorded_at_the_window_is_verified_by_the_county_and_approved(
    world, incomes, newcomer, time_machine
):
    clerk, reviewer, approver = (world.users[r] for r in ("clerk", "reviewer", "approver"))
    app = make_application(newcomer, clerk, category="dibao_edge", certificate=CERT)
    claim = app.identity_claim
    assert (claim.status, claim.department, claim.certificate_number, claim.certified_on) == (
        IdentityClaim.Status.PENDING,
        "民政",
        "BY-2026-0107",
        date(2026, 1, 5),
    )
    assert not HardshipIdentity.objects.filter(person=newcomer).exists()  # not an identity yet
    assert "identity_certificate" in set(app.materials.values_list("code", flat=True))
    # the preview gives what the certificate would give, marked as provisional: 15,000 self-pay
    # in scope − 5,000 deductible (10% of 50,000) = 10,000 × 65% = 6,500; tilted: 15,000 − 6,500
    # = 8,500 above 7,000 → 1,500 × 80% = 1,200
    preview = case_preview(app)
    assert preview.provisional and preview.to_pay == Decimal("7700.00")
    assert "待县级核验" in preview.warnings[0] and "BY-2026-0107" in preview.warnings[0]

    app = recommended(world, app, time_machine)
    assert refusal(app, "approve", approver) == (
        "窗口登记的身份证明（低保边缘家庭成员，证件 BY-2026-0107）尚待县级审核人员核验，核验后才能审批。"
    )
    with pytest.raises(ValidationError, match="尚待县级审核人员核验"):
        application_approve(application=app, actor=approver)
    assert Application.objects.get(pk=app.pk).status == Status.NOTICE

    with pytest.raises(ValidationError, match="只有本县审核人员可以核验"):
        application_identity_decide(application=app, actor=approver, accept=True)
    claim = application_identity_decide(application=app, actor=reviewer, accept=True)
    identity = HardshipIdentity.objects.get(person=newcomer)
    assert (identity.category, identity.source, identity.source_user, identity.certified_on) == (
        "dibao_edge",
        "window",
        reviewer,
        date(2026, 1, 5),
    )
    assert (claim.status, claim.identity, claim.decided_by) == ("verified", identity, reviewer)
    assert ApplicationEvent.objects.filter(application=app, action="verify_identity").exists()
    assert AuditEvent.objects.filter(
        actor=reviewer,
        event="claim.verified",
        summary__startswith="核验通过身份证明：低保边缘家庭成员",
    ).exists()
    with pytest.raises(ValidationError, match="这份身份证明已处理（已核验，已登记入身份库）"):
        application_identity_decide(application=app, actor=reviewer, accept=True)

    app = application_approve(application=Application.objects.get(pk=app.pk), actor=approver)
    assert (app.status, app.approved_amount) == (Status.APPROVED, Decimal("7700.00"))
    assert app.settlement.identity == "dibao_edge"


def test_a_refused_certificate_tells_the_window_why_and_pays_nothing(
    world, incomes, newcomer, time_machine
):
    clerk, reviewer = world.users["clerk"], world.users["reviewer"]
    app = make_application(newcomer, clerk, category="dibao_edge", certificate=CERT)
    app = recommended(world, app, time_machine)
    with pytest.raises(ValidationError, match="请写明核验未通过的理由"):
        application_identity_decide(application=app, actor=reviewer, accept=False, reason=" ")
    assert IdentityClaim.objects.get(pk=app.identity_claim_id).status == "pending"

    reason = "民政系统查无此证，证件编号不符"
    claim = application_identity_decide(
        application=app, actor=reviewer, accept=False, reason=reason
    )
    assert (claim.status, claim.reason, claim.identity) == ("refused", reason, None)
    assert not HardshipIdentity.objects.filter(person=newcomer).exists()
    message = InboxMessage.objects.get(recipient=clerk, kind="identity_refused")
    assert message.text == (
        f"{app.number} 王秀兰：身份证明（低保边缘家庭成员，证件 BY-2026-0107）核验未通过：{reason}"
    )
    preview = case_preview(Application.objects.get(pk=app.pk))
    assert not preview.provisional and preview.to_pay == Decimal("0.00")
    assert preview.warnings == [
        f"窗口登记的身份证明“低保边缘家庭成员”核验未通过（{reason}）：按无此身份计算。"
    ]
    # no longer waiting: the approver may decide, and the case has nothing to pay
    with pytest.raises(ValidationError, match=r"可救助金额为 0\.00 元"):
        application_approve(application=app, actor=world.users["approver"])


def test_after_a_refusal_the_window_records_the_right_certificate_on_the_case_page(
    client, world, incomes, newcomer, accept, time_machine
):
    clerk, reviewer = world.users["clerk"], world.users["reviewer"]
    app = make_application(newcomer, clerk, category="dibao_edge", certificate=CERT)
    app = recommended(world, app, time_machine)
    application_identity_decide(
        application=app, actor=reviewer, accept=False, reason="证件编号不符"
    )
    client.force_login(clerk)
    page = client.get(app.get_absolute_url()).content.decode()
    assert 'data-testid="record-certificate"' in page and "上次登记的证件核验未通过" in page
    url = reverse("applications:certificate_record", args=[app.number])
    response = client.post(url, {"cert_department": "民政"}, follow=True)
    assert "身份证明未登记：登记身份证明须填写证件编号。" in response.content.decode()
    assert IdentityClaim.objects.count() == 1
    good = {
        "cert_department": "民政",
        "cert_number": "BY-2026-0108",
        "cert_certified_on": "2026-01-05",
    }
    response = client.post(url, good, follow=True)
    assert "已登记身份证明，等待县级审核人员核验" in response.content.decode()
    app = Application.objects.get(pk=app.pk)
    assert (app.identity_claim.certificate_number, app.identity_claim.status) == (
        "BY-2026-0108",
        "pending",
    )
    assert ApplicationEvent.objects.get(application=app, action="record_certificate").reason == (
        "民政部门证件 BY-2026-0108，2026-01-05 — 证件未写期限"
    )
    # pending again: a second one cannot be recorded over it, and approval waits for it
    response = client.post(url, good, follow=True)
    assert "已登记的身份证明待县级核验。" in response.content.decode()
    application_identity_decide(application=app, actor=reviewer, accept=True)
    app = application_approve(application=app, actor=world.users["approver"])
    assert app.approved_amount == Decimal("7700.00")


def test_a_department_import_of_the_same_identity_verifies_the_waiting_certificate(
    world, incomes, newcomer
):
    from beneficiaries.services import department_token_create, identity_push

    app = make_application(newcomer, world.users["clerk"], category="dibao_edge", certificate=CERT)
    token, _key = department_token_create(department="民政", label="民政低保系统", actor=None)
    record = {
        "id_number": newcomer.id_number,
        "name": "王秀兰",
        "category": "dibao_edge",
        "certified_on": "2026-01-01",
        "township": world.town_a1.code,
        "certificate_number": "BY-2026-0107",
    }
    batch, outcomes = identity_push(token=token, records=[record])
    assert not outcomes[0].errors
    claim = IdentityClaim.objects.get(pk=app.identity_claim_id)
    identity = HardshipIdentity.objects.get(person=newcomer)
    assert (claim.status, claim.identity, claim.verified_by_import, claim.decided_by) == (
        "verified",
        identity,
        batch,
        None,
    )
    assert identity.source == "api"
    assert refusal(app, "approve", world.users["approver"]) != (
        "窗口登记的身份证明（低保边缘家庭成员，证件 BY-2026-0107）尚待县级审核人员核验，核验后才能审批。"
    )
    assert not case_preview(Application.objects.get(pk=app.pk)).provisional


def test_a_bad_certificate_is_refused_field_by_field_and_records_nothing(world, newcomer):
    from beneficiaries.claims import certificate_problems

    bad = Certificate("dibao_edge", "乡村振兴", " ", date(2099, 1, 1), date(2098, 1, 1))
    assert certificate_problems(bad, today=date(2026, 11, 27)) == {
        "department": "低保边缘家庭成员由民政部门认定，请按证件上的认定部门填写。",
        "certificate_number": "请填写证件编号（证件上的编号）。",
        "certified_on": "认定日期 2099-01-01 晚于今天，请核对证件。",
        "ended_on": "有效期至不能早于认定日期。",
    }
    with pytest.raises(ValidationError):
        make_application(newcomer, world.users["clerk"], category="dibao_edge", certificate=bad)
    assert not IdentityClaim.objects.exists() and not Application.objects.exists()


def test_the_window_records_the_certificate_on_the_intake_form(client, world, newcomer):
    from tests.applications.test_pages import intake_post, intake_url

    client.force_login(world.users["clerk"])
    url = intake_url(client, newcomer.id_number)
    page = client.get(url).content.decode()
    assert "身份证明（身份库无记录时填写）" in page
    cert = {"cert_department": "民政", "cert_number": "BY-9", "cert_certified_on": "2026-02-30"}
    response = client.post(url, intake_post("cat:dibao_edge", **cert))
    assert response.status_code == 200
    assert "核对这一天确实存在" in response.content.decode()
    cert["cert_certified_on"] = "2026-02-03"
    response = client.post(url, intake_post("cat:dibao_edge", **{**cert, "cert_department": ""}))
    assert "登记身份证明须填写认定部门。" in response.content.decode()
    assert not Application.objects.exists()
    response = client.post(url, intake_post("cat:dibao_edge", **cert))
    assert response.status_code == 302
    app = Application.objects.get(person=newcomer)
    assert (app.identity_claim.certificate_number, app.identity_claim.certified_on) == (
        "BY-9",
        date(2026, 2, 3),
    )


def test_the_reviewer_verifies_on_the_case_page(client, world, incomes, newcomer, accept):
    app = accept(
        make_application(newcomer, world.users["clerk"], category="dibao_edge", certificate=CERT),
        forward=True,
    )
    app = application_transition(
        application=app, action="start_review", actor=world.users["reviewer"]
    )
    client.force_login(world.users["clerk"])
    page = client.get(app.get_absolute_url()).content.decode()
    assert 'data-testid="verify-form"' not in page and "等待县级审核人员核验" in page
    client.force_login(world.users["reviewer"])
    page = client.get(app.get_absolute_url()).content.decode()
    assert 'data-testid="verify-form"' in page and 'data-testid="provisional"' in page
    queue = client.get(reverse("applications:index") + "?claim=on").content.decode()
    assert app.number in queue and "身份证明待核验（1）" in queue
    url = reverse("applications:identity_decide", args=[app.number])
    response = client.post(url, {"decision": "accept", "reason": "与民政系统核对一致"}, follow=True)
    assert "核验通过，低保边缘家庭成员已登记入身份库" in response.content.decode()
    assert IdentityClaim.objects.get(pk=app.identity_claim_id).reason == "与民政系统核对一致"
