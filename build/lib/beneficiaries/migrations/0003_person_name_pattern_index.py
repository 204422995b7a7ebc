"""PostgreSQL: an index that serves name-prefix searches (LIKE '张%') whatever the collation."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS person_name_pattern_idx ON beneficiaries_person (name varchar_pattern_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS person_name_pattern_idx")


class Migration(migrations.Migration):
    dependencies = [("beneficiaries", "0002_departmenttoken_identityimport_importrow_and_more")]
    operations = [migrations.RunPython(forwards, backwards)]
