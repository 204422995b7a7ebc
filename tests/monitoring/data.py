"""Monitoring data: a city whose policy knows last year's rural income, hospital records, a known year.

The fixtures are made visible to every test by tests/conftest.py."""

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


@pytest.fixture
def overview_data(world, incomes):
    """A hand-made year: three people with an identity, one without, two counties, three hospitals.

    County A (察素齐镇): 甲 dibao 10,000 (insurance 7,000, assistance 2,000); 乙 tekun 20,000
    (insurance 12,000, assistance 6,000); 丙 no identity 50,000 (insurance 20,000: 因病致贫).
    County B (双河镇): 丁 dibao 10,000 (insurance 5,000).
    """
    from beneficiaries.models import HardshipIdentity
    from monitoring.recompute import monitoring_recompute
    from tests.factories import PersonFactory

    def person(name, township, category):
        p = PersonFactory(township=township, name=name)
        if category:
            HardshipIdentity.objects.create(
                person=p, category=category, department="民政",
                certified_on=date(YEAR - 1, 1, 1), source="user",
            )  # fmt: skip
        return p

    jia = person("甲", world.town_a1, "dibao")
    yi = person("乙", world.town_a1, "tekun")
    bing = person("丙", world.town_a1, "")
    ding = person("丁", world.town_b1, "dibao")
    march = date(YEAR, 3, 20)
    hospital_record(jia, burden="3000", total="10000", assistance="2000", out_of_list="3000",
                    hospital="市第一医院", day=march, category="dibao")  # fmt: skip
    hospital_record(yi, burden="8000", total="20000", assistance="6000", out_of_list="800",
                    hospital="土左旗医院", level="tier2", day=march, category="tekun")  # fmt: skip
    hospital_record(bing, burden="30000", total="50000", out_of_list="4000",
                    hospital="市第一医院", day=date(YEAR, 5, 2))  # fmt: skip
    hospital_record(ding, burden="5000", total="10000", out_of_list="600",
                    hospital="托县医院", level="tier2", day=date(YEAR, 6, 9), category="dibao")  # fmt: skip
    monitoring_recompute()
    return {"jia": jia, "yi": yi, "bing": bing, "ding": ding}
