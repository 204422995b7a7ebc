"""Numbers people read (application numbers, payment batch numbers) from one counter per scope.

``next_in`` is a single ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement: the database
serialises it on the counter's row, so two transactions at the same moment both succeed, with
different numbers (a count of existing rows would hand both the same one). A number taken by a
transaction that rolls back is not reused: gaps are allowed, duplicates never.
"""

from __future__ import annotations

from django.db import connection

from .models import Counter


def next_in(scope: str) -> int:
    """The next number in ``scope`` (1, 2, 3 …), allocated in the caller's transaction."""
    table = connection.ops.quote_name(Counter._meta.db_table)
    with connection.cursor() as cursor:
        # Only the quoted table name is formatted in; the scope is a parameter.
        cursor.execute(
            f"INSERT INTO {table} (scope, last) VALUES (%s, 1) "  # noqa: S608
            f"ON CONFLICT (scope) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [scope],
        )
        row = cursor.fetchone()
    assert row is not None  # RETURNING always gives the row  # noqa: S101
    return int(row[0])
