"""The yearly ledger: previews read it, approvals move it exactly once, under a row lock."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from audit.models import AuditEvent
from beneficiaries.models import HardshipIdentity
from engine import Expense
from settlements.ledger import settlement_approve
from settlements.models import Settlement, YearLedger
from settlements.services import AlreadySettled, policy_version_create, settlement_preview
from tests.factories import PersonFactory


def stay(eid: str, day: date = date(2023, 3, 1), self_pay: str = "15000.00") -> Expense:
    """A stay with 30,000 basic and 5,000 critical insurance and ``self_pay`` in scope left."""
    scope = Decimal("35000.00") + Decimal(self_pay)
    return Expense(
        id=eid,
        day=day,
        kind="inpatient",
        total=scope + Decimal("10000.00"),
        policy_scope=scope,
        basic_paid=Decimal("30000.00"),
        critical_paid=Decimal("5000.00"),
        in_region=True,
        referred=True,
    )


@pytest.fixture
def dibao_person(world):
    person = PersonFactory(township=world.town_a1)
    HardshipIdentity.objects.create(
        person=person, category="dibao", department="民政", certified_on=date(2023, 1, 1)
    )
    return person


def test_preview_reads_the_ledger_and_changes_nothing(dibao_person):
    YearLedger.objects.create(person=dibao_person, year=2023, assistance_used=Decimal("95000.00"))
    result = settlement_preview(person=dibao_person, expenses=[stay("e1")])
    assert result.expenses[0].assistance == Decimal("5000.00")  # 10,500 wanted, 5,000 left
    assert result.opening[2023].assistance_used == Decimal("95000.00")
    assert result.closing[2023].assistance_used == Decimal("100000.00")
    ledger = YearLedger.objects.get(person=dibao_person, year=2023)
    assert ledger.assistance_used == Decimal("95000.00")
    assert not Settlement.objects.exists()


def test_approval_moves_the_ledger_and_writes_the_audit_row(dibao_person, world):
    approver = world.users["approver"]
    settlement = settlement_approve(
        key="test:1", person=dibao_person, expenses=[stay("e1")], actor=approver
    )
    assert (settlement.assistance, settlement.tilted, settlement.personal) == (
        Decimal("10500.00"),
        Decimal("0.00"),
        Decimal("14500.00"),
    )
    assert (settlement.policy_code, settlement.policy_version, settlement.identity) == (
        "hohhot-2023",
        1,
        "dibao",
    )
    assert settlement.inputs["expenses"][0]["basic_paid"] == "30000.00"
    assert settlement.inputs["parameters"]["assistance.ratio.dibao"] == "0.70"
    assert settlement.ledger_before["2023"]["assistance_used"] == "0.00"
    assert settlement.ledger_after["2023"]["assistance_used"] == "10500.00"
    assert settlement.result["expenses"][0]["lines"][4].startswith("医疗救助：低保对象")
    ledger = YearLedger.objects.get(person=dibao_person, year=2023)
    assert (ledger.assistance_used, ledger.tilted_threshold_used, ledger.personal_borne) == (
        Decimal("10500.00"),
        Decimal("4500.00"),
        Decimal("14500.00"),
    )
    event = AuditEvent.objects.get(event="settlement.approved")
    assert event.actor == approver
    assert event.target_id == str(settlement.pk)
    assert event.county == world.county_a
    assert event.changes["2023.assistance_used"] == ["0.00", "10500.00"]

    # the next approval starts from the moved ledger
    second = settlement_approve(
        key="test:2",
        person=dibao_person,
        expenses=[stay("e2", self_pay="150000.00")],
        actor=approver,
    )
    assert second.assistance == Decimal("89500.00")  # 105,000 wanted; 100,000 − 10,500 left


def test_the_same_key_is_never_settled_twice(dibao_person, world):
    settlement_approve(
        key="app:7", person=dibao_person, expenses=[stay("e1")], actor=world.users["approver"]
    )
    with pytest.raises(AlreadySettled, match="已经结算过"):
        settlement_approve(
            key="app:7", person=dibao_person, expenses=[stay("e1")], actor=world.users["approver"]
        )
    assert Settlement.objects.count() == 1
    assert YearLedger.objects.get(person=dibao_person).assistance_used == Decimal("10500.00")
    assert AuditEvent.objects.filter(event="settlement.approved").count() == 1


def test_an_engine_refusal_changes_nothing(world):
    person = PersonFactory(township=world.town_a1)
    HardshipIdentity.objects.create(
        person=person,
        category="dibao_edge",
        department="民政",
        certified_on=date(2023, 1, 1),
    )
    with pytest.raises(ValidationError, match="city_income"):
        settlement_approve(
            key="x", person=person, expenses=[stay("e1")], actor=world.users["approver"]
        )
    assert not Settlement.objects.exists()
    assert not YearLedger.objects.filter(assistance_used__gt=0).exists()


def test_the_household_ledger_feeds_the_special_fund(world):
    from beneficiaries.models import Household

    household = Household.objects.create(township=world.town_a1, size=2)
    first = PersonFactory(township=world.town_a1, household=household)
    second = PersonFactory(township=world.town_a1, household=household)
    YearLedger.objects.create(person=first, year=2023, personal_borne=Decimal("45000.00"))
    HardshipIdentity.objects.create(
        person=second, category="dibao", department="民政", certified_on=date(2023, 1, 1)
    )
    admin = world.users["admin"]
    policy_version_create(
        policy_code="hohhot-2023",
        effective_from=date(2023, 1, 1),
        values={"fund.enabled": True},
        source="测试：启用暖心基金",
        actor=admin,
    )
    settlement = settlement_approve(
        key="h", person=second, expenses=[stay("e1")], actor=world.users["approver"]
    )
    # 14,500 borne would take the household to 59,500: the fund pays 9,500 above 50,000
    assert (settlement.fund, settlement.personal, settlement.policy_version) == (
        Decimal("9500.00"),
        Decimal("5000.00"),
        2,
    )


def test_a_policy_version_applies_from_its_date_and_decisions_keep_theirs(dibao_person, world):
    admin = world.users["admin"]
    before = settlement_approve(
        key="a", person=dibao_person, expenses=[stay("e1")], actor=world.users["approver"]
    )
    version = policy_version_create(
        policy_code="hohhot-2023",
        effective_from=date(2023, 7, 1),
        values={"assistance.ratio.dibao": "75%"},
        source="测试文件 第一条",
        reason="提高低保比例",
        actor=admin,
    )
    assert (version.number, version.values) == (2, {"assistance.ratio.dibao": "0.75"})
    event = AuditEvent.objects.get(
        target_id=str(version.pk), target_type="settlements.policyversion"
    )
    assert event.changes == {"assistance.ratio.dibao": ["70%", "75%"]}
    june = settlement_preview(person=dibao_person, expenses=[stay("e2", date(2023, 6, 30))])
    july = settlement_preview(person=dibao_person, expenses=[stay("e3", date(2023, 7, 1))])
    assert (june.expenses[0].assistance, july.expenses[0].assistance) == (
        Decimal("10500.00"),
        Decimal("11250.00"),
    )
    assert "（测试文件 第一条）" in july.expenses[0].lines[4]
    before.refresh_from_db()
    assert before.policy_version == 1


@pytest.mark.parametrize(
    ("values", "effective_from", "message"),
    [
        ({}, date(2024, 1, 1), "没有改动任何参数"),
        ({"nope": "1"}, date(2024, 1, 1), "没有参数 nope"),
        ({"assistance.ratio.dibao": "120%"}, date(2024, 1, 1), "必须在 0 到 1"),
        ({"tilted.cap": "-5"}, date(2024, 1, 1), "不能为负数"),
        ({"tilted.cap": "5"}, date(2022, 12, 31), "不能早于政策施行日期"),
    ],
)
def test_bad_policy_versions_are_refused(world, values, effective_from, message):
    with pytest.raises(ValidationError, match=message):
        policy_version_create(
            policy_code="hohhot-2023",
            effective_from=effective_from,
            values=values,
            source="某文件",
            actor=world.users["admin"],
        )
    assert not AuditEvent.objects.filter(target_type="settlements.policyversion").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks need PostgreSQL")
def test_concurrent_approvals_never_exceed_the_yearly_cap(world):
    person = PersonFactory(township=world.town_a1)
    HardshipIdentity.objects.create(
        person=person, category="dibao", department="民政", certified_on=date(2023, 1, 1)
    )
    approver = world.users["approver"]
    threads = 12
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def approve(n: int) -> None:
        try:
            barrier.wait()
            # 30,000 in-scope self-pay × 70% = 21,000 each; 12 × 21,000 = 252,000 wanted
            settlement_approve(
                key=f"race:{n}",
                person=person,
                expenses=[stay(f"e{n}", self_pay="30000.00")],
                actor=approver,
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=approve, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    amounts = sorted(Settlement.objects.filter(person=person).values_list("assistance", flat=True))
    assert len(amounts) == threads
    assert sum(amounts) == Decimal("100000.00")
    assert amounts.count(Decimal("21000.00")) == 4  # 4 × 21,000 = 84,000, then 16,000, then 0s
    assert Decimal("16000.00") in amounts
    ledger = YearLedger.objects.get(person=person, year=2023)
    assert ledger.assistance_used == Decimal("100000.00")


def test_the_person_page_shows_this_years_ledger(client, world, dibao_person):
    from django.urls import reverse
    from django.utils import timezone

    YearLedger.objects.create(
        person=dibao_person, year=timezone.localdate().year, assistance_used=Decimal("12345.67")
    )
    YearLedger.objects.create(person=dibao_person, year=2000, assistance_used=Decimal("99.00"))
    client.force_login(world.users["reviewer"])
    page = client.get(
        reverse("beneficiaries:person_detail", args=[dibao_person.pk])
    ).content.decode()
    assert '已获医疗救助</dt><dd class="col-5 text-end">12,345.67 元' in page
    assert "99.00 元" not in page


def test_a_stored_settlement_is_recomputed_from_its_snapshot_and_version(dibao_person, world):
    from settlements.policies import load
    from settlements.services import settlement_recompute

    YearLedger.objects.create(person=dibao_person, year=2023, assistance_used=Decimal("95000.00"))
    stored = settlement_approve(
        key="r", person=dibao_person, expenses=[stay("e1")], actor=world.users["approver"]
    )
    policy_version_create(
        policy_code="hohhot-2023",
        effective_from=date(2023, 1, 1),
        values={"assistance.cap.dibao": "200000.00"},
        source="后来的文件",
        actor=world.users["admin"],
    )
    HardshipIdentity.objects.filter(person=dibao_person).delete()  # the registry changes later
    again = settlement_recompute(stored)
    assert again.expenses[0].assistance == stored.assistance == Decimal("5000.00")
    assert list(again.expenses[0].lines) == stored.result["expenses"][0]["lines"]
    assert load("hohhot-2023", version=1).at(date(2023, 3, 1))["assistance.cap.dibao"] == Decimal(
        "100000.00"
    )
    assert load("hohhot-2023").at(date(2023, 3, 1))["assistance.cap.dibao"] == Decimal("200000.00")


def test_a_city_refuses_an_unknown_policy(world):
    from settlements.services import city_save

    city = world.county_a.city
    city.policy_code = "nowhere-2030"
    with pytest.raises(ValidationError, match="没有政策 nowhere-2030"):
        city_save(city=city, actor=world.users["admin"])
