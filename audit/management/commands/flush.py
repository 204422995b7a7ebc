"""Django's ``flush`` (empty the whole database), allowed past the audit table's DELETE trigger on
SQLite as TRUNCATE is on PostgreSQL; nothing else may delete audit rows (audit/db.py)."""

from typing import Any

from django.core.management.commands import flush

from audit.db import flushing


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        with flushing():
            super().handle(**options)
