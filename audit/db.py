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
