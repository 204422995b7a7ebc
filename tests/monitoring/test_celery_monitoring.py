"""Real Celery processes (filesystem broker on SQLite, Redis in the PostgreSQL run): beat runs the
recompute again and again without a second warning; a confirmed hospital file reaches the
warnings through the worker with no one waiting for the night."""

from __future__ import annotations

import time
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from beneficiaries import services
from beneficiaries.models import IdentityImport
from monitoring.models import BurdenWarning, MonitoringRun, WarningLevel
from tests.applications.test_celery_worker import wait_for
from tests.beneficiaries.conftest import csv_bytes
from tests.celery_processes import celery_processes
from tests.factories import PersonFactory

from .data import YEAR, hospital_record
from .test_hospital_import import HEADER, row

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_beat_recomputes_and_never_duplicates(tmp_path, world, incomes):
    person = PersonFactory(township=world.town_a1)
    hospital_record(person, burden="15000.00", day=date(YEAR, 2, 1))
    with celery_processes(tmp_path, beat=True, extra_env={"MONITORING_EVERY_SECONDS": "1"}) as log:
        wait_for(lambda: MonitoringRun.objects.filter(finished_at__isnull=False).count() >= 3, log)
    assert BurdenWarning.objects.filter(person=person).count() == 1
    assert BurdenWarning.objects.get(person=person).level == WarningLevel.RETURN
    runs = list(MonitoringRun.objects.order_by("started_at").values_list("scope", "raised"))
    assert runs[0] == ("full", 1)
    assert all(raised == 0 for _, raised in runs[1:])


def test_a_confirmed_hospital_file_reaches_the_warnings_through_the_worker(
    tmp_path, world, incomes
):
    admin = world.users["admin"]
    content = csv_bytes([row(total="60000.00", scope="50000.00", basic="30000.00")], header=HEADER)
    with celery_processes(tmp_path) as log:
        batch = services.identity_import_create(
            upload=SimpleUploadedFile("h.csv", content), department="医保", content="hospital",
            actor=admin,
        )  # fmt: skip
        wait_for(lambda: IdentityImport.objects.get(pk=batch.pk).status == "previewed", log)
        services.identity_import_apply(batch=batch, actor=admin)
        wait_for(lambda: BurdenWarning.objects.exists(), log)
        time.sleep(0.5)
    warning = BurdenWarning.objects.get()
    # 60,000 − 30,000 − 3,000 = 27,000 after insurance: above 20,000
    assert (warning.level, warning.burden) == (WarningLevel.POVERTY, 27000)
    assert IdentityImport.objects.get(pk=batch.pk).records_created == 1
