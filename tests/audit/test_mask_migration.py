"""Migration audit.0005 masks the ID numbers that rows written before sealed searches kept in
clear, lifts the append-only guard only inside its own transaction, and says what it masked."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from audit.models import AuditEvent

CLEAR = "150121195208171080"
BEFORE = ("audit", "0004_sqlite_no_delete")
AFTER = ("audit", "0005_mask_identifiers")


@pytest.fixture(autouse=True)
def back_to_the_latest_schema():
    """Later tests need every migration, the trail's and those of the apps that depend on it
    (migrating the trail back takes them back too): the test ends where it began."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def raw_insert(path: str, summary: str, changes: dict) -> int:
    """A row as the portal wrote it before: straight into the table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (at, actor_username, actor_role, action, target_type,"
            " target_id, target_repr, summary, changes, user_agent, path)"
            " VALUES (CURRENT_TIMESTAMP, 't_clerk', 'clerk', 'view', '', '', '', %s, %s, '', %s)",
            [summary, json.dumps(changes), path],
        )
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()


@pytest.mark.django_db(transaction=True)
def test_the_migration_masks_clear_id_numbers_and_keeps_the_trail_append_only():
    migrate(BEFORE)
    try:
        searched = raw_insert(f"/people/?q={CLEAR}", "查看救助对象列表（本页 1 条）", {})
        diffed = raw_insert("/admin/", f"核对 {CLEAR}", {"id_number": [None, CLEAR]})
        untouched = raw_insert("/applications/150121-20261128-0005/", "查看详情", {})
    finally:
        migrate(AFTER)

    at_0005 = AuditEvent.objects.only(  # the columns of the table as 0005 left it
        "at", "actor_username", "action", "summary", "changes", "path"
    )
    rows = {e.pk: e for e in at_0005.filter(pk__in=[searched, diffed, untouched])}
    assert rows[searched].path == "/people/?q=1501**********1080"
    assert rows[diffed].summary == "核对 1501**********1080"
    assert rows[diffed].changes == {"id_number": [None, "1501**********1080"]}
    assert rows[untouched].path == "/applications/150121-20261128-0005/"
    note = at_0005.order_by("-id").first()
    assert note.actor_username == "system" and note.action == "update"
    assert note.summary.startswith("数据迁移 audit.0005：遮蔽 2 条审计记录中明文的身份证号等标识")
    assert note.changes == {"masked_rows": 2, "columns": {"path": 1, "summary": 1, "changes": 1}}
    # the guard is back: the database itself refuses to change a row
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET summary = 'x' WHERE id = %s", [searched])
