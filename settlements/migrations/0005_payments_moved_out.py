"""Payment batches and lines now belong to the ``payments`` app (its 0001 took over the tables)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("settlements", "0004_batch_numbers_from_core_counter"),
        ("payments", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Payment"),
                migrations.DeleteModel(name="PaymentBatch"),
            ]
        )
    ]
