"""The platform's code tables as shipped (``monitoring/platform/codes.json``)."""

import json
from pathlib import Path

from django.db import migrations

CODES = Path(__file__).resolve().parent.parent / "platform" / "codes.json"


def load(apps, schema_editor):
    PlatformCode = apps.get_model("monitoring", "PlatformCode")
    tables = json.loads(CODES.read_text(encoding="utf-8"))
    PlatformCode.objects.bulk_create(
        [
            PlatformCode(table=table, code=code, name=name, meaning=meaning)
            for table, rows in tables.items()
            if not table.startswith("_")
            for code, name, meaning in rows
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0006_platform_settlement_records")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
