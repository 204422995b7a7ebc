"""SQLite refuses ``INSERT OR REPLACE`` (and ``REPLACE INTO``) over an existing audit row.

A REPLACE deletes the row it conflicts with and inserts the new one, and SQLite fires DELETE
triggers for that only when recursive triggers are on: ``INSERT OR REPLACE INTO audit_auditevent``
with an existing id rewrote a row past both triggers. This one refuses any INSERT whose id is
already there, before the conflict is resolved. (PostgreSQL has no REPLACE; its ``ON CONFLICT DO
UPDATE`` fires the UPDATE trigger, and the runtime role has no UPDATE privilege at all.)
"""

from django.db import migrations

SQLITE_TRIGGER = """
CREATE TRIGGER audit_auditevent_no_replace
BEFORE INSERT ON audit_auditevent
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_auditevent WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'audit_auditevent is append-only (REPLACE of an existing row refused)');
END;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_replace")


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_mask_identifiers")]
    operations = [migrations.RunPython(forwards, backwards)]
