"""The audit trail: rows written by services and by the person detail view; append-only; search."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from areas import services as area_services
from areas.models import Township
from audit.events import Event
from audit.models import AuditEvent
from audit.services import record


def test_service_writes_audit_row_with_field_diff(world):
    town = world.town_a1
    town.window_phone = "0471-8119999"
    area_services.township_save(township=town, actor=world.users["admin"])
    row = AuditEvent.objects.get(event="township.changed", target_type="areas.township")
    assert row.target_id == str(town.pk)
    assert row.actor == world.users["admin"]
    assert row.actor_role == "admin"
    assert row.changes == {"window_phone": ["0471-8000000", "0471-8119999"]}
    assert row.township == town and row.county == world.county_a


def test_service_with_nothing_changed_writes_no_row(world):
    area_services.township_save(township=world.town_a1, actor=world.users["admin"])
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE).exists()


def test_service_refuses_invalid_data_and_writes_nothing(world):
    town = Township(county=world.county_a, code="150121100", name="重复代码镇")
    with pytest.raises(Exception, match="区划代码"):
        area_services.township_save(township=town, actor=world.users["admin"])
    assert Township.objects.filter(name="重复代码镇").count() == 0
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CREATE).count() == 0


def test_person_detail_view_writes_access_log(world, person_a1, client):
    client.force_login(world.users["reviewer"])
    response = client.get(
        reverse("beneficiaries:person_detail", args=[person_a1.pk]),
        REMOTE_ADDR="10.9.8.7",
        HTTP_USER_AGENT="TestBrowser/1.0",
    )
    assert response.status_code == 200
    assert "150121196001010014" in response.content.decode()
    row = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert row.actor == world.users["reviewer"]
    assert (row.target_type, row.target_id) == ("beneficiaries.person", str(person_a1.pk))
    assert (row.ip, row.user_agent) == ("10.9.8.7", "TestBrowser/1.0")
    assert row.path == f"/people/{person_a1.pk}/"
    assert row.township == world.town_a1 and row.county == world.county_a


def test_refused_detail_view_writes_no_access_log(world, person_a1, client):
    client.force_login(world.clerk_a2)  # another township of the same county
    assert (
        client.get(reverse("beneficiaries:person_detail", args=[person_a1.pk])).status_code == 404
    )
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).exists()


def test_list_masks_id_numbers(world, person_a1, client):
    client.force_login(world.users["clerk"])
    body = client.get(reverse("beneficiaries:person_list")).content.decode()
    assert "1501**********0014" in body
    assert "150121196001010014" not in body


def test_audit_rows_cannot_be_changed_or_deleted_through_the_orm(world):
    row = record(actor=world.users["admin"], event=Event.ADMIN_PAGE_VIEWED, summary="原始")
    row.summary = "篡改"
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=row.pk).update(summary="篡改")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=row.pk).summary == "原始"


def test_database_refuses_update_of_audit_rows(world):
    row = record(actor=world.users["admin"], event=Event.ADMIN_PAGE_VIEWED, summary="原始")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditevent SET summary = 'x' WHERE id = %s", [row.pk])
    assert AuditEvent.objects.get(pk=row.pk).summary == "原始"


def test_database_refuses_delete_of_audit_rows(world):
    row = record(actor=world.users["admin"], event=Event.ADMIN_PAGE_VIEWED)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [row.pk])
    assert AuditEvent.objects.filter(pk=row.pk).exists()


def test_audit_search_is_scoped_to_the_approvers_county(world, client):
    record(
        actor=world.users["clerk"],
        event=Event.TOWNSHIP_CHANGED,
        target=world.town_a1,
        summary="A县的记录",
    )
    record(
        actor=world.clerk_b1,
        event=Event.TOWNSHIP_CHANGED,
        target=world.town_b1,
        summary="B县的记录",
    )
    client.force_login(world.users["approver"])
    body = client.get(reverse("audit:search")).content.decode()
    assert "A县的记录" in body
    assert "B县的记录" not in body
    client.force_login(world.users["admin"])
    body = client.get(reverse("audit:search"), {"q": "B县"}).content.decode()
    assert "B县的记录" in body and "A县的记录" not in body


def test_audit_search_filters_by_action_and_account(world, client):
    record(
        actor=world.users["clerk"],
        event=Event.TOWNSHIP_CHANGED,
        target=world.town_a1,
        summary="修改电话",
    )
    record(
        actor=world.users["reviewer"],
        event=Event.TOWNSHIP_VIEWED,
        target=world.town_a1,
        summary="查看甲",
    )
    client.force_login(world.users["approver"])
    body = client.get(reverse("audit:search"), {"action": "view"}).content.decode()
    assert "查看甲" in body and "修改电话" not in body
    body = client.get(reverse("audit:search"), {"event": "township.changed"}).content.decode()
    assert "修改电话" in body and "查看甲" not in body
    assert "修改乡镇（街道）" in body  # the headline comes from the code
    body = client.get(reverse("audit:search"), {"actor_username": "t_clerk"}).content.decode()
    assert "修改电话" in body and "查看甲" not in body


def test_people_list_pages_keep_the_search(world, client):
    from tests.factories import PersonFactory

    PersonFactory.create_batch(55, township=world.town_a1, name="张三")
    PersonFactory(township=world.town_a1, name="李四")
    client.force_login(world.users["clerk"])
    body = client.get(reverse("beneficiaries:person_list"), {"q": "张", "page": 2}).content.decode()
    assert "第 2 / 2 页" in body
    assert 'href="?q=%E5%BC%A0&page=1"' in body
    assert body.count("张三") == 5 and "李四" not in body


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the sqlite3 shell's view of the file")
@pytest.mark.django_db(transaction=True)
def test_a_delete_from_outside_the_portal_is_refused_on_sqlite_too():
    """Another client of the file (the sqlite3 shell, a script) has no way past the trigger; the
    test's own flush afterwards (audit's ``flush`` command) still empties the table."""
    import sqlite3

    row = record(actor=None, event=Event.ADMIN_PAGE_VIEWED, summary="外部删除测试")
    outside = sqlite3.connect(connection.settings_dict["NAME"])
    try:
        with pytest.raises(sqlite3.OperationalError, match="audit_delete_allowed"):
            outside.execute("DELETE FROM audit_auditevent WHERE id = ?", [row.pk])
    finally:
        outside.close()
    assert AuditEvent.objects.filter(pk=row.pk).exists()
