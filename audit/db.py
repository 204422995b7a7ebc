"""SQLite's half of the append-only audit table (PostgreSQL's is a plain trigger).

The trigger of migration 0004 refuses DELETE on ``audit_auditevent`` unless the SQL function
``audit_delete_allowed()`` says 1. The portal registers that function on each SQLite connection and
it says 1 only inside ``flush`` (the command that empties the whole database: PostgreSQL's flush is a
TRUNCATE, which its row trigger does not see either). Any other client (the sqlite3 shell, a script)
has no such function, so its DELETE fails too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_flushing = False


def _allowed() -> int:
    return 1 if _flushing else 0


def register(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("audit_delete_allowed", 0, _allowed)


@contextmanager
def flushing() -> Iterator[None]:
    global _flushing
    _flushing = True
    try:
        yield
    finally:
        _flushing = False


# --- PostgreSQL: the runtime role --------------------------------------------------------------
#
# On PostgreSQL the owner of a table may TRUNCATE it, disable its triggers or drop them: a trigger
# holds the trail against the polite only. So production connects with two roles (docs/production.md,
# step 2): the owner runs ``migrate``; the portal (gunicorn, the worker, beat) connects as a
# runtime role that owns nothing, may read and write every table, and may only INSERT into and
# SELECT from the audit trail. ``migrate``, run as the owner with DATABASE_RUNTIME_ROLE set,
# grants the runtime role its rights at the end of every run (``runtime_grants``), so a table a
# later migration adds is covered too.

AUDIT_TABLE = "audit_auditevent"


def runtime_grants(role: str, schema: str = "public") -> list[str]:
    """The statements that give ``role`` the portal's rights and no more on the trail."""
    who = '"' + role.replace('"', '""') + '"'
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {who}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {AUDIT_TABLE} FROM {who}",
        f"GRANT SELECT, INSERT ON {AUDIT_TABLE} TO {who}",
    ]


def grant_runtime(connection: Any, role: str) -> bool:
    """Apply ``runtime_grants`` as the connected role (the owner). False, changing nothing, when
    the role is the one connected (a single-role set-up) or the database is not PostgreSQL."""
    if connection.vendor != "postgresql" or not role:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        if cursor.fetchone()[0] == role:
            return False
        for statement in runtime_grants(role):
            cursor.execute(statement)
    return True


def grant_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """``post_migrate``: the runtime role's rights, when DATABASE_RUNTIME_ROLE names one."""
    from django.conf import settings
    from django.db import connections

    grant_runtime(connections[using], getattr(settings, "DATABASE_RUNTIME_ROLE", ""))
