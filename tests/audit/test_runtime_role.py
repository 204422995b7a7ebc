"""The audit trail is append-only against the portal's own account too (issue 34, 7).

On PostgreSQL the portal runs as a role that owns nothing: it reads and writes every table, but
may only INSERT into and SELECT from the audit trail, so it cannot UPDATE, DELETE, TRUNCATE it,
nor disable or drop its trigger (only the owner could, and the owner only runs ``migrate``). The
production stage of ``make test`` runs the portal that way; here the grants that ``migrate``
applies are checked statement by statement. On SQLite ``INSERT OR REPLACE`` over an existing row
is refused as UPDATE and DELETE are."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from audit.db import grant_runtime, runtime_grants
from audit.events import Event
from audit.models import AuditEvent
from audit.services import record

ROLE = "medassist_test_runtime"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's REPLACE")
@pytest.mark.parametrize("verb", ["INSERT OR REPLACE INTO", "REPLACE INTO"])
def test_sqlite_refuses_a_replace_over_an_existing_row(db, verb):
    row = record(actor=None, event=Event.ADMIN_PAGE_VIEWED, summary="原始")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            f"{verb} audit_auditevent (id, at, actor_username, actor_role, action, "
            "target_type, target_id, target_repr, summary, changes, user_agent, path) "
            "VALUES (%s, CURRENT_TIMESTAMP, '', '', 'view', '', '', '', '篡改', '{}', '', '')",
            [row.pk],
        )
    assert AuditEvent.objects.get(pk=row.pk).summary == "原始"
    record(actor=None, event=Event.ADMIN_PAGE_VIEWED, summary="追加照常")  # a new row still goes in


@pytest.fixture
def runtime_role(db):
    with connection.cursor() as cursor:
        cursor.execute(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') "  # noqa: S608
            f"THEN CREATE ROLE {ROLE} NOLOGIN; END IF; END $$"
        )
    assert grant_runtime(connection, ROLE) is True
    return ROLE


def as_runtime(sql: str, params: list | None = None) -> None:
    """Run ``sql`` as the runtime role (SET LOCAL ROLE, in a savepoint that is rolled back)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {ROLE}")
            cursor.execute(sql, params or [])
        transaction.set_rollback(True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's roles")
def test_the_runtime_role_appends_to_the_trail_and_can_do_nothing_else_to_it(world, runtime_role):
    row = record(actor=None, event=Event.ADMIN_PAGE_VIEWED, summary="原始")
    as_runtime(
        "INSERT INTO audit_auditevent (at, actor_username, actor_role, action, target_type, "
        "target_id, target_repr, summary, changes, user_agent, path) VALUES (now(), '', '', "
        "'view', '', '', '', '追加', '{}', '', '')"
    )
    as_runtime("SELECT count(*) FROM audit_auditevent")
    as_runtime("UPDATE areas_township SET name = name WHERE id = %s", [world.town_a1.pk])
    refused = {
        "UPDATE audit_auditevent SET summary = 'x'": "permission denied",
        "DELETE FROM audit_auditevent": "permission denied",
        "TRUNCATE audit_auditevent": "permission denied",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only": "must be owner",
        "DROP TRIGGER audit_auditevent_append_only ON audit_auditevent": "must be owner",
        "DROP TABLE audit_auditevent": "must be owner",
        "INSERT INTO audit_auditevent (id, at, actor_username, actor_role, action, target_type, "  # noqa: S608
        "target_id, target_repr, summary, changes, user_agent, path) VALUES "
        f"({row.pk}, now(), '', '', 'view', '', '', '', 'x', '{{}}', '', '') "
        "ON CONFLICT (id) DO UPDATE SET summary = 'x'": "permission denied",
    }
    for sql, reason in refused.items():
        with pytest.raises(DatabaseError, match=reason):
            as_runtime(sql)
    assert AuditEvent.objects.get(pk=row.pk).summary == "原始"


def test_a_single_role_set_up_is_left_alone(db):
    """When the portal and ``migrate`` are one role (the embedded default, the test run), nothing
    is granted or revoked."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user" if connection.vendor == "postgresql" else "SELECT ''")
        me = cursor.fetchone()[0]
    assert grant_runtime(connection, me) is False
    assert runtime_grants('odd"name')[0] == 'GRANT USAGE ON SCHEMA public TO "odd""name"'
