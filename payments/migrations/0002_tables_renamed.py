from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial"), ("settlements", "0005_payments_moved_out")]

    operations = [
        migrations.AlterModelTable(name="paymentbatch", table=None),
        migrations.AlterModelTable(name="payment", table=None),
    ]
