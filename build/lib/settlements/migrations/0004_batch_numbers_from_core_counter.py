"""Payment batch numbers come from core's counter (a count gave two officers the same number):
start each county-day's counter after the highest number already given."""

from django.db import migrations


def carry_over(apps, schema_editor):
    PaymentBatch = apps.get_model("settlements", "PaymentBatch")
    Counter = apps.get_model("core", "Counter")
    last: dict[str, int] = {}
    for number in PaymentBatch.objects.values_list("number", flat=True):
        code, _, day, seq = number.split("-")  # 150121-FF-20261127-01
        scope = f"payment-batch:{code}:{day}"
        last[scope] = max(last.get(scope, 0), int(seq))
    for scope, value in last.items():
        Counter.objects.update_or_create(scope=scope, defaults={"last": value})


class Migration(migrations.Migration):
    dependencies = [
        ("settlements", "0003_payments"),
        ("core", "0001_initial"),
    ]

    operations = [migrations.RunPython(carry_over, migrations.RunPython.noop)]
