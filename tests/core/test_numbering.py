"""Numbers from one counter per scope: never shared by two transactions, even at the same moment."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from core.models import Counter
from core.numbering import next_in
from payments.models import PaymentBatch
from payments.services import payment_batch_create
from tests.payments.test_payments import approve_case  # noqa: F401 (fixture)


@pytest.mark.django_db
def test_each_scope_counts_on_its_own():
    assert [next_in("a"), next_in("a"), next_in("b"), next_in("a")] == [1, 2, 1, 3]
    assert dict(Counter.objects.values_list("scope", "last")) == {"a": 3, "b": 1}


@pytest.mark.django_db
def test_a_number_taken_by_a_rolled_back_transaction_is_not_given_again():
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_in("c") == 1
        raise RuntimeError
    with transaction.atomic(), transaction.atomic():  # the outer one commits
        assert next_in("c") == 1  # the rolled-back one never existed
        assert next_in("c") == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="concurrent writers need PostgreSQL"
)
def test_two_finance_officers_building_batches_at_once_both_succeed(world, approve_case):  # noqa: F811
    first, second = approve_case(), approve_case()
    finance = world.users["finance"]
    barrier = threading.Barrier(2)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def build(app):
        try:
            barrier.wait()
            with transaction.atomic():
                batch = payment_batch_create(
                    county=world.county_a, application_ids=[app.pk], actor=finance
                )
                numbers.append(batch.number)
        except BaseException as exc:  # pragma: no cover (the failure being tested for)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=build, args=(app,)) for app in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    day = timezone.localdate()
    assert sorted(numbers) == [f"150121-FF-{day:%Y%m%d}-01", f"150121-FF-{day:%Y%m%d}-02"]
    assert PaymentBatch.objects.count() == 2
