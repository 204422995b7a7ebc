"""SQLite refuses DELETE on audit rows too (see audit/db.py for the one way past it: flush)."""

from django.db import migrations

SQLITE_TRIGGER = """
CREATE TRIGGER audit_auditevent_no_delete
BEFORE DELETE ON audit_auditevent
WHEN NOT audit_delete_allowed()
BEGIN
    SELECT RAISE(ABORT, 'audit_auditevent is append-only (DELETE refused)');
END;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_delete")


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_alter_auditevent_action")]
    operations = [migrations.RunPython(forwards, backwards)]
