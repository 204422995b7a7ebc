"""Monitoring fixtures: a city whose policy knows last year's rural income (20,000 yuan)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from monitoring.hospital_import import record_key
from monitoring.models import HospitalSettlement
from settlements.services import policy_version_create

YEAR = date.today().year


@pytest.fixture
def incomes(world):
    """Rural income 20,000 → 因病返贫 line 10,000.00, 因病致贫 line 20,000.00."""
    return policy_version_create(
        policy_code="hohhot-2023",
        effective_from=date(2023, 1, 1),
        values={"rural_income": "20000", "city_income": "50000"},
        source="测试：统计公报",
        actor=world.users["admin"],
    )


_seq = iter(range(1, 10**9))


def hospital_record(
    person,
    *,
    burden: str,
    day: date | None = None,
    hospital: str = "市第一医院",
    level: str = "tier3",
    total: str | None = None,
    out_of_list: str = "0",
    assistance: str = "0",
    category: str = "",
) -> HospitalSettlement:
    """A hospital record leaving ``burden`` yuan to the person after basic and critical insurance."""
    burden_d = Decimal(burden)
    total_d = Decimal(total) if total is not None else burden_d + Decimal("10000")
    insured = total_d - burden_d
    day = day or date(YEAR, 3, 1)
    n = next(_seq)
    return HospitalSettlement.objects.create(
        person=person,
        record_key=record_key(person.id_number, hospital, f"T{n}", day, "inpatient", total_d),
        settlement_number=f"T{n}",
        hospital=hospital,
        hospital_level=level,
        kind="inpatient",
        category=category,
        admitted_on=day,
        day=day,
        total=total_d,
        policy_scope=total_d - Decimal(out_of_list),
        basic_paid=insured,
        critical_paid=Decimal("0"),
        assistance_paid=Decimal(assistance),
        out_of_list=Decimal(out_of_list),
    )
