"""Demo data: one city, two counties with three townships each, and the demo accounts.

Idempotent: running it again changes nothing. Demo data only; production never runs it.
"""

from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import services as account_services
from accounts.models import Role, User
from areas import services as area_services
from areas.models import City, County, Township

DEMO_PASSWORD = "demo12345"

CITY = ("150100", "呼和浩特市")
COUNTIES = [
    # code, name, agency, phone, townships: (code, name, kind, window phone)
    (
        "150121",
        "土默特左旗",
        "土默特左旗医疗保障事务中心",
        "0471-8112233",
        [
            ("150121100", "察素齐镇", Township.Kind.TOWN, "0471-8111001"),
            ("150121101", "毕克齐镇", Township.Kind.TOWN, "0471-8111002"),
            ("150121102", "善岱镇", Township.Kind.TOWN, "0471-8111003"),
        ],
    ),
    (
        "150122",
        "托克托县",
        "托克托县医疗保障事务中心",
        "0471-8522233",
        [
            ("150122100", "双河镇", Township.Kind.TOWN, "0471-8521001"),
            ("150122101", "新营子镇", Township.Kind.TOWN, "0471-8521002"),
            ("150122102", "五申镇", Township.Kind.TOWN, "0471-8521003"),
        ],
    ),
]
# username, role, full name, county index, township code
ACCOUNTS = [
    ("clerk_a", Role.CLERK, "王丽", 0, "150121100"),
    ("clerk_b", Role.CLERK, "李强", 0, "150121101"),
    ("reviewer_a", Role.REVIEWER, "张敏", 0, None),
    ("approver_a", Role.APPROVER, "赵刚", 0, None),
    ("finance_a", Role.FINANCE, "刘芳", 0, None),
    ("clerk_c", Role.CLERK, "高娜", 1, "150122100"),
    ("reviewer_c", Role.REVIEWER, "孙涛", 1, None),
    ("admin", Role.ADMIN, "周伟", None, None),
]


class Command(BaseCommand):
    help = "载入演示数据（一个市、两个旗县区、各三个乡镇）和演示账号，密码均为 demo12345。"

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("生产环境不能载入演示账号。")
        with transaction.atomic():
            created = self._seed()
        self.stdout.write(self.style.SUCCESS(f"演示数据已就绪（新建 {created} 条）。"))

    def _seed(self) -> int:
        created = 0
        city = City.objects.filter(code=CITY[0]).first()
        if city is None:
            city = area_services.city_save(city=City(code=CITY[0], name=CITY[1]), actor=None)
            created += 1
        counties: list[County] = []
        for code, name, agency, phone, towns in COUNTIES:
            county = County.objects.filter(code=code).first()
            if county is None:
                county = area_services.county_save(
                    county=County(
                        city=city, code=code, name=name, agency_name=agency, agency_phone=phone
                    ),
                    actor=None,
                )
                created += 1
            counties.append(county)
            for t_code, t_name, kind, t_phone in towns:
                if not Township.objects.filter(code=t_code).exists():
                    area_services.township_save(
                        township=Township(
                            county=county,
                            code=t_code,
                            name=t_name,
                            kind=kind,
                            window_phone=t_phone,
                            window_address=f"{county.name}{t_name}便民服务中心社会救助窗口",
                        ),
                        actor=None,
                    )
                    created += 1
        for username, role, full_name, county_index, town_code in ACCOUNTS:
            if User.objects.filter(username=username).exists():
                continue
            township = Township.objects.get(code=town_code) if town_code else None
            county = (
                township.county
                if township
                else (counties[county_index] if county_index is not None else None)
            )
            account_services.staff_create(
                actor=None,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                township=township,
                county=county,
                full_name=full_name,
                validate=False,
            )
            created += 1
        created += self._seed_incomes()
        return created

    def _seed_incomes(self) -> int:
        """Demo statistics so that deductibles can be computed (marked as demo on the policy page)."""
        from settlements.models import PolicyVersion
        from settlements.services import policy_version_create

        if PolicyVersion.objects.filter(policy_code="hohhot-2023").exists():
            return 0
        policy_version_create(
            policy_code="hohhot-2023",
            effective_from=date(2023, 1, 1),
            values={"city_income": "50000.00", "rural_income": "20000.00"},
            source="演示数据（正式使用前请按统计公报设置）",
            reason="演示用的上年人均可支配收入",
            actor=User.objects.get(username="admin"),
        )
        return 1
