"""One letter per case, kind and version, held by the database.

Letters rendered twice before (the worker and staff opening one at the same moment; 3 of 3 cases
in the outside test) are not deleted: each carries a verification code that may be printed. They
are numbered in the order they were made (version 1, 2, …), so the constraint holds, and the
portal keeps showing the latest, as before. A recovery notice is one version per recovery.
"""

from django.conf import settings
from django.db import migrations, models


def number_existing(apps, schema_editor):
    Letter = apps.get_model("applications", "Letter")
    seen = {}
    renumbered = []
    for letter in Letter.objects.order_by("application_id", "kind", "created_at", "id").only(
        "id", "application_id", "kind"
    ):
        key = (letter.application_id, letter.kind)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            letter.version = seen[key]
            renumbered.append(letter)
    Letter.objects.bulk_update(renumbered, ["version"], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0011_eligibility_at_window'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='letter',
            name='version',
            field=models.PositiveSmallIntegerField(default=1, help_text='同一申请同一种文书只有一份；追回通知书每次追回一个版次', verbose_name='版次'),
        ),
        migrations.RunPython(number_existing, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='letter',
            constraint=models.UniqueConstraint(fields=('application', 'kind', 'version'), name='letter_once_per_version'),
        ),
    ]
