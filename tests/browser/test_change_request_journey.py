"""A department's push proposes a new phone and a new name; the township clerk sees old and new side
by side, confirms one and refuses the other with a reason, in a real browser."""

import json

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from audit.models import AuditEvent
from beneficiaries import services
from beneficiaries.models import Person, PersonChange
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_clerk_confirms_one_change_and_refuses_another(live_server, page):
    call_command("seed_demo")
    clerk = User.objects.get(username="clerk_a")
    person = Person.objects.filter(township=clerk.township, identities__department="民政").first()
    identity = person.identities.filter(department="民政").first()
    _token, key = services.department_token_create(
        department="民政", label="民政低保系统", actor=None
    )
    record = {
        "id_number": person.id_number, "name": person.name + "某", "category": identity.category,
        "certified_on": identity.certified_on.isoformat(), "township": clerk.township.code,
        "phone": "13912345678",
    }  # fmt: skip
    answer = Client().post(
        "/api/v1/identities", data=json.dumps({"records": [record]}),
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}",
    ).json()  # fmt: skip
    assert "已生成变更申请" in answer["results"][0]["warnings"][0]
    old_name, old_phone = person.name, person.phone

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("用户名").fill("clerk_a")
    page.get_by_label("密码").fill("demo12345")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="救助对象").click()
    page.get_by_test_id("changes-link").filter(has_text="1 件待确认").click()
    change = PersonChange.objects.get()
    card = page.get_by_test_id(f"change-{change.pk}")
    text = card.inner_text()
    assert old_name in text and old_name + "某" in text and "13912345678" in text
    screenshot(page, "change-request")
    # refusing without a reason is refused and changes nothing
    with page.expect_navigation():
        card.get_by_role("button", name="退回").click()
    assert "退回变更申请须填写理由。" in page.locator(".alert").first.inner_text()
    assert PersonChange.objects.get().status == "pending"
    card = page.get_by_test_id(f"change-{change.pk}")
    with page.expect_navigation():
        card.get_by_role("button", name="核实无误，确认变更").click()
    assert f"已确认 {old_name} 的信息变更" in page.locator(".alert").first.inner_text()
    person.refresh_from_db()
    assert (person.name, person.phone) == (old_name + "某", "13912345678")
    assert old_phone != person.phone
    assert AuditEvent.objects.filter(event="change.accepted").count() == 1
    page.get_by_role("link", name="已处理").click()
    assert "已确认并更新" in page.get_by_test_id(f"change-{change.pk}").inner_text()
    assert page.console_errors == []
