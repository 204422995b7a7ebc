"""Application numbers come from core's counter: carry each county-day's last number over."""

from django.db import migrations


def carry_over(apps, schema_editor):
    Sequence = apps.get_model("applications", "ApplicationSequence")
    Counter = apps.get_model("core", "Counter")
    for seq in Sequence.objects.select_related("county"):
        Counter.objects.update_or_create(
            scope=f"application:{seq.county.code}:{seq.day:%Y%m%d}", defaults={"last": seq.last}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0004_letter"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(carry_over, migrations.RunPython.noop),
        migrations.DeleteModel(name="ApplicationSequence"),
    ]
