"""Payment batches and lines move from ``settlements`` to this app (the floor above
``applications``). The tables already exist: this migration only takes over their state; 0002
gives them this app's names."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('applications', '0005_numbers_from_core_counter'),
        ('areas', '0003_county_second_approval_above_and_more'),
        ('settlements', '0004_batch_numbers_from_core_counter'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
            migrations.CreateModel(
                name='PaymentBatch',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('number', models.CharField(max_length=40, unique=True, verbose_name='批次号')),
                    ('state', models.CharField(choices=[('open', '待导出'), ('exported', '已导出，待银行回盘'), ('closed', '已完成')], default='open', max_length=10, verbose_name='状态')),
                    ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='制表时间')),
                    ('exported_at', models.DateTimeField(blank=True, null=True, verbose_name='导出时间')),
                    ('county', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='areas.county', verbose_name='旗县区')),
                    ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='制表人')),
                ],
                options={
                    'db_table': 'settlements_paymentbatch',
                    'verbose_name': '发放批次',
                    'verbose_name_plural': '发放批次',
                    'ordering': ['-created_at', '-id'],
                },
            ),
            migrations.CreateModel(
                name='Payment',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='金额')),
                    ('payee_name', models.CharField(max_length=50, verbose_name='收款人')),
                    ('bank_name', models.CharField(max_length=100, verbose_name='开户银行')),
                    ('account_number', models.CharField(max_length=40, verbose_name='银行账号')),
                    ('state', models.CharField(choices=[('pending', '待银行结果'), ('paid', '已发放'), ('failed', '发放失败')], default='pending', max_length=8, verbose_name='状态')),
                    ('paid_on', models.DateField(blank=True, null=True, verbose_name='发放日期')),
                    ('failure_reason', models.CharField(blank=True, max_length=200, verbose_name='失败原因')),
                    ('recorded_at', models.DateTimeField(blank=True, null=True, verbose_name='登记时间')),
                    ('application', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='applications.application', verbose_name='申请')),
                    ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='登记人')),
                    ('batch', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='payments.paymentbatch', verbose_name='批次')),
                ],
                options={
                    'db_table': 'settlements_payment',
                    'verbose_name': '发放明细',
                    'verbose_name_plural': '发放明细',
                    'ordering': ['batch_id', 'id'],
                    'constraints': [models.UniqueConstraint(condition=models.Q(('state__in', ['pending', 'paid'])), fields=('application',), name='payment_one_live_line_per_case', violation_error_message='该申请已在发放中或已发放，不能重复发放。'), models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='payment_amount_positive')],
                },
            ),
        ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
