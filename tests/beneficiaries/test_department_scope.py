"""A department's key or file writes only its own department's identities; what it says about a
person's master data becomes a change request (变更申请) the township confirms or refuses."""

import json
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from beneficiaries import services
from beneficiaries.models import HardshipIdentity, Person, PersonChange
from tests.beneficiaries.conftest import csv_bytes, idn

URL = "/api/v1/identities"
A = idn("15012119580312002")


@pytest.fixture
def registered(world):
    """乌兰其其格 of 察素齐镇, a 民政 低保 identity since 2023-01-01."""
    person = Person.objects.create(
        id_number=A,
        name="乌兰其其格",
        township=world.town_a1,
        phone="13904710001",
        address="西街村3组",
    )
    HardshipIdentity.objects.create(
        person=person,
        category="dibao",
        department="民政",
        certified_on=date(2023, 1, 1),
        source="import",
    )
    return person


@pytest.fixture
def rural_key(world):
    return services.department_token_create(
        department="乡村振兴", label="乡村振兴监测系统", actor=None
    )[1]


def push(client, key, *records):
    response = client.post(
        URL, data=json.dumps({"records": list(records)}), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )  # fmt: skip
    assert response.status_code == 200
    return response.json()["results"]


def row(**overrides):
    base = {"id_number": A, "name": "乌兰其其格", "category": "dibao", "certified_on": "2023-01-01",
            "township": "150121100"}  # fmt: skip
    return base | overrides


def test_a_key_cannot_end_or_take_over_another_departments_identity(
    world, client, registered, rural_key
):
    ended, taken, made = push(
        client,
        rural_key,
        row(ended_on="2023-06-30"),
        row(department="乡村振兴"),
        row(category="tekun", department="民政", certified_on="2024-01-01"),
    )
    assert ended["status"] == "refused"
    assert ended["errors"] == ["低保对象由民政部门认定，乡村振兴部门不能导入、修改或终止此类身份。"]
    assert taken["errors"] == ended["errors"]
    assert made["errors"] == [
        "本推送密钥属于乡村振兴部门，只能推送乡村振兴认定的身份（本条认定部门为“民政”）。"
    ]
    ident = HardshipIdentity.objects.get()
    assert (ident.category, ident.department, ident.ended_on) == ("dibao", "民政", None)
    assert not PersonChange.objects.exists()


def test_an_identity_held_by_another_department_is_not_touched_even_in_a_shared_category(
    world, client, registered, rural_key
):
    HardshipIdentity.objects.create(
        person=registered,
        category="illness_poor",
        department="民政",
        certified_on=date(2024, 3, 1),
        source="import",
    )
    (result,) = push(
        client,
        rural_key,
        row(category="illness_poor", certified_on="2024-03-01", ended_on="2024-12-31"),
    )
    assert result["errors"] == [
        "该因病致贫重病患者身份（认定日期 2024-03-01）由民政部门认定，乡村振兴部门不能修改或终止。"
    ]
    assert HardshipIdentity.objects.get(category="illness_poor").ended_on is None


def test_master_data_from_a_push_becomes_a_change_request_not_an_overwrite(
    world, client, registered, rural_key
):
    new = row(category="rural_at_risk", certified_on="2024-05-01", name="乌兰", phone="13900000000",
              township="150122100")  # fmt: skip
    (result,) = push(client, rural_key, new)
    assert result["status"] == "updated"  # the department's own identity was added
    assert result["warnings"] == [
        "与登记的人员信息不一致，已生成变更申请，待乡镇（街道）确认后更新：姓名：乌兰其其格 → 乌兰；居住乡镇（街道）；联系电话：13904710001 → 13900000000"
    ]
    registered.refresh_from_db()
    assert (registered.name, registered.phone, registered.township_id) == (
        "乌兰其其格",
        "13904710001",
        world.town_a1.pk,
    )
    change = PersonChange.objects.get()
    assert (change.status, change.department, change.township, change.new_township) == (
        "pending", "乡村振兴", world.town_a1, world.town_b1,
    )  # fmt: skip
    assert change.lines() == [
        ("姓名", "乌兰其其格", "乌兰"), ("居住乡镇（街道）", "察素齐镇", "双河镇"), ("联系电话", "13904710001", "13900000000"),
    ]  # fmt: skip
    # the same push again: still one request; a different proposal supersedes it
    push(client, rural_key, new)
    assert PersonChange.objects.count() == 1
    push(client, rural_key, new | {"phone": "13900000001"})
    assert list(PersonChange.objects.order_by("pk").values_list("status", flat=True)) == [
        "superseded",
        "pending",
    ]


def test_a_move_is_seen_by_both_townships_and_decided_by_the_persons_own(
    world, client, registered, rural_key
):
    push(
        client,
        rural_key,
        row(category="rural_at_risk", certified_on="2024-05-01", township="150122100"),
    )
    change = PersonChange.objects.get()
    for user in (world.users["clerk"], world.clerk_b1):
        client.force_login(user)
        page = client.get("/people/changes/")
        assert page.status_code == 200 and "双河镇" in page.content.decode()
        assert AuditEvent.objects.filter(actor=user, event="changes.listed").exists()
    client.force_login(world.clerk_a2)
    assert "乌兰其其格" not in client.get("/people/changes/").content.decode()
    with pytest.raises(PermissionDenied):
        services.person_change_decide(change=change, actor=world.clerk_b1, accept=True)
    with pytest.raises(PermissionDenied):
        services.person_change_decide(change=change, actor=world.users["reviewer"], accept=True)
    registered.refresh_from_db()
    assert registered.township == world.town_a1


def test_the_township_confirms_once_and_the_registry_changes_with_its_trail(
    world, client, registered, rural_key
):
    push(
        client,
        rural_key,
        row(category="rural_at_risk", certified_on="2024-05-01", phone="13900000000"),
    )
    change = PersonChange.objects.get()
    client.force_login(world.users["clerk"])
    response = client.post(f"/people/changes/{change.pk}/decide/", {"decision": "accept"})
    assert response.status_code == 302
    registered.refresh_from_db()
    assert registered.phone == "13900000000"
    change.refresh_from_db()
    assert (change.status, change.decided_by) == ("accepted", world.users["clerk"])
    event = AuditEvent.objects.get(event="change.accepted", target_id=str(change.pk))
    assert event.summary == "确认变更申请：联系电话：13904710001 → 13900000000"
    assert registered.history.first().phone == "13900000000"
    # a second click changes nothing and says why
    with pytest.raises(ValidationError, match="该变更申请已处理（已确认并更新），未再更改。"):
        services.person_change_decide(
            change=change, actor=world.users["clerk"], accept=False, reason="x"
        )


def test_refusing_needs_a_reason_and_keeps_the_registry(world, client, registered, rural_key):
    push(client, rural_key, row(category="rural_at_risk", certified_on="2024-05-01", name="乌兰"))
    change = PersonChange.objects.get()
    with pytest.raises(ValidationError, match="退回变更申请须填写理由。"):
        services.person_change_decide(
            change=change, actor=world.users["clerk"], accept=False, reason="  "
        )
    assert PersonChange.objects.get().status == "pending"
    services.person_change_decide(
        change=change, actor=world.users["admin"], accept=False, reason="户籍未变更"
    )
    registered.refresh_from_db()
    assert registered.name == "乌兰其其格"
    assert PersonChange.objects.get().reason == "户籍未变更"


def test_a_file_brings_only_the_categories_its_department_certifies(world, registered, run_import):
    content = csv_bytes([
        [A, "乌兰其其格", "返贫致贫人口", "2024-01-01", "", "150121100", "", "民政", "", ""],
        [A, "乌兰其其格", "低保对象", "2023-01-01", "2023-12-31", "150121100", "", "乡村振兴", "", ""],
        [A, "乌兰", "低保对象", "2023-01-01", "2023-12-31", "150121100", "", "民政", "", ""],
    ])  # fmt: skip
    batch = run_import(content)
    errors = list(batch.rows.filter(kind="error").values_list("row_number", "message"))
    assert errors == [
        (2, "返贫致贫人口由乡村振兴部门认定，民政部门不能导入、修改或终止此类身份。"),
        (3, "低保对象由民政部门认定，乡村振兴部门不能导入、修改或终止此类身份。"),
    ]
    ident = HardshipIdentity.objects.get()
    assert ident.ended_on == date(2023, 12, 31)  # 民政 ends its own identity
    registered.refresh_from_db()
    assert registered.name == "乌兰其其格"
    assert PersonChange.objects.get().changes == {"name": ["乌兰其其格", "乌兰"]}


def test_the_disabled_persons_federation_brings_the_severely_disabled(world, run_import):
    """重度残疾人 (seed 003 二(二)) are certified by 残联, and by no other department."""
    content = csv_bytes([
        [A, "乌兰其其格", "重度残疾人", "2024-01-01", "", "150121100", "", "民政", "", ""],
        [A, "乌兰其其格", "重度残疾人", "2024-01-01", "", "150121100", "", "残联", "", ""],
    ])  # fmt: skip
    batch = run_import(content)
    errors = list(batch.rows.filter(kind="error").values_list("row_number", "message"))
    assert errors == [
        (
            2,
            "重度残疾人（一、二级重度残疾，三级智力、精神残疾）由残联部门认定，民政部门不能导入、修改或终止此类身份。",
        )
    ]
    ident = HardshipIdentity.objects.get(category="severe_disabled")
    assert (ident.department, ident.certified_on) == ("残联", date(2024, 1, 1))
