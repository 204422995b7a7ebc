"""Demo data: one city, two counties with three townships each, and the demo accounts.

Idempotent: running it again changes nothing. Demo data only; production never runs it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from stdnum import luhn

from accounts import services as account_services
from accounts.models import Role, User
from areas import services as area_services
from areas.models import City, County, Township
from portal.demo_relief import seed_relief
from settlements import services as settlement_services

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
    # a second finance officer: a subsidy transfer or a payee change needs another person's check
    ("finance_a2", Role.FINANCE, "陈静", 0, None),
    ("clerk_c", Role.CLERK, "高娜", 1, "150122100"),
    ("reviewer_c", Role.REVIEWER, "孙涛", 1, None),
    ("admin", Role.ADMIN, "周伟", None, None),
]


# 定点医疗机构编码 of the demo's hospitals (made up, in the national code's shape)
DEMO_HOSPITAL_CODES = {
    "内蒙古自治区人民医院": "H15010200011",
    "内蒙古医科大学附属医院": "H15010200012",
    "土默特左旗医院": "H15012100021",
    "托克托县医院": "H15012200031",
}


@contextmanager
def _on_day(days_ago: int) -> Iterator[None]:
    """Take a demo case ``days_ago`` days back, at 10:00 that day, with the clock itself moved
    (time-machine, a development dependency like the demo itself): its number, dates, history,
    letters and SMS all agree."""
    if not days_ago:
        yield
        return
    import time_machine

    moment = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    with time_machine.travel(moment - timedelta(days=days_ago), tick=False):
        yield


def _card(body: str) -> str:
    """A demo UnionPay card number with a right check digit (the window checks it)."""
    return body + luhn.calc_check_digit(body)


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
            city = settlement_services.city_save(city=City(code=CITY[0], name=CITY[1]), actor=None)
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
        created += self._seed_funds(counties)
        created += self._seed_cases()
        created += self._seed_register()
        created += self._seed_hospital_records()
        created += self._seed_platform_records()
        created += seed_relief(city)
        return created

    def _seed_register(self) -> int:
        """定点医药机构名录 of the demo's hospitals (the shipped sample), through its import."""
        from django.utils import timezone

        from areas.models import Institution
        from beneficiaries import institutions
        from beneficiaries.views import SAMPLES
        from core.rows import read_rows

        if Institution.objects.exists():
            return 0
        with (SAMPLES / "medins-sample.csv").open("rb") as fh:
            rows = list(read_rows(fh, "medins-sample.csv", institutions.LAYOUT))
        done = list(
            institutions.process(rows, batch=None, today=timezone.localdate(), dry_run=False)
        )
        return len(done)

    def _seed_platform_records(self) -> int:
        """Two of 高娜仁's settlements as the national platform gives them, not assisted yet: the
        window of 察素齐镇 takes them by setl_id instead of typing them."""
        from django.utils import timezone

        from beneficiaries.idnumber import check_digit
        from monitoring import platform

        year = timezone.localdate().year
        gao = "15012119700515002"
        base = {"psn_name": "高娜仁", "psn_cert_type": "01", "certno": gao + check_digit(gao),
                "insutype": "390", "fixmedins_code": "H15012100021", "fixmedins_name": "土默特左旗医院",
                "hifmi_pay": "0", "maf_pay": "0"}  # fmt: skip
        rows = [
            (1, {**base, "setl_id": f"1500{year}10200000001", "mdtrt_id": f"1500{year}1008001",
                 "med_type": "21", "begndate": f"{year}-10-08", "enddate": f"{year}-10-20",
                 "setl_time": f"{year}-10-20 10:12:00", "medfee_sumamt": "26800.00",
                 "inscp_scp_amt": "24100.00", "hifp_pay": "16870.00",
                 "fulamt_ownpay_amt": "900.00", "psn_part_amt": "9930.00"}),
            (2, {**base, "setl_id": f"1500{year}11050000002", "med_type": "14",
                 "begndate": f"{year}-11-05", "enddate": f"{year}-11-05",
                 "setl_time": f"{year}-11-05 09:40:00", "medfee_sumamt": "1860.00",
                 "inscp_scp_amt": "1700.00", "hifp_pay": "1020.00",
                 "fulamt_ownpay_amt": "60.00", "psn_part_amt": "840.00"}),
        ]  # fmt: skip
        keyed = [(n, {platform.HEADERS[k]: v for k, v in row.items()}) for n, row in rows]
        outcomes = list(
            platform.process(keyed, batch=None, today=timezone.localdate(), dry_run=False)
        )
        refused = [o for o in outcomes if o.errors]
        if refused:
            raise CommandError(f"演示医保平台结算数据有误：{refused[0].errors}")
        return sum(o.identity == "created" for o in outcomes)

    def _seed_cases(self) -> int:
        """A few people of 察素齐镇 and their applications, so the window's dashboard has a day's
        work: one accepted today with a promise, one due tomorrow, one overdue, one approved and
        waiting to be told. Created once (when the township has no application yet)."""
        from applications.models import Application
        from beneficiaries.idnumber import check_digit
        from beneficiaries.models import HardshipIdentity, Person

        town = Township.objects.get(code="150121100")
        if Application.objects.filter(township=town).exists():
            return 0
        clerk = User.objects.get(username="clerk_a")
        # the 17th digit of an ID number is odd for a man, even for a woman
        people = [
            ("其其格", "19520817", "108", "dibao", "13904711001"),
            ("王秀兰", "19580302", "102", "tekun", "13904711002"),
            ("巴特尔", "19661125", "103", "dibao_edge", "13904711003"),
            ("刘桂英", "19490611", "104", "returned_poor", "13904711004"),
        ]
        # each case is taken on its own day (its number, receipt, promise and SMS all say that day):
        # today with a promise, six days ago (due tomorrow), ten days ago (overdue), eight days ago
        taken_days_ago = [0, 6, 10, 8]
        created = 0
        for n, (name, birth, seq, category, phone) in enumerate(people):
            body = f"150121{birth}{seq}"
            person = Person.objects.with_id_number(body + check_digit(body)).first()
            if person is None:
                person = Person(
                    id_number=body + check_digit(body),
                    name=name,
                    township=town,
                    phone=phone,
                    bank_name="内蒙古农村信用社",
                    bank_account_holder=name,
                    bank_account_number=_card(f"6228480000{n:08d}"),
                )
                person.full_clean()
                person.save()
                HardshipIdentity.objects.create(
                    person=person,
                    category=category,
                    department="民政",
                    certified_on=date(2024, 1, 1),
                    source="user",
                    source_user=clerk,
                )
                created += 2
            with _on_day(taken_days_ago[n]):
                created += self._take_case(n, person, category, phone, clerk)
        # the reminders of the promises due tomorrow and overdue, now rather than at beat's first
        # sweep: the clerk's inbox is not empty for the first quarter of an hour (the SMS wait in
        # the outbox for the worker, as always)
        from applications.services.reminders import reminders_sweep

        reminders_sweep(deliver=False)
        return created

    def _take_case(self, n: int, person: Any, category: str, phone: str, clerk: User) -> int:
        """One case of the demo, taken at the window and (the fourth) approved by the county."""
        from applications.services import (
            Intake,
            application_accept,
            application_approve,
            application_recommend,
            application_save_draft,
            application_transition,
        )

        name = person.name
        taken = timezone.localdate()  # the day of _on_day
        stay_end = taken - timedelta(days=5)
        _demo_referral(person, n, stay_end)
        app = application_save_draft(
            person=person,
            intake=Intake(
                category=category,
                identity=person.identities.first(),
                contact_phone=phone,
                bank_name=person.bank_name,
                bank_account_holder=name,
                bank_account_number=person.bank_account_number,
                # the demo's one-stop identities come to the window from a hospital elsewhere
                onestop_reason="elsewhere",
            ),
            expenses=[_demo_stay(n, stay_end)],
            actor=clerk,
        )
        codes = set(app.materials.values_list("code", flat=True))
        missing = {"invoice", "diagnosis"} if n < 3 else set()
        app = application_accept(
            application=app,
            actor=clerk,
            received=codes - missing,
            promise_signed=bool(missing),
            forward=True,
        )
        if n == 3:  # reviewed and approved by the county: to pay, and to tell the applicant
            reviewer = User.objects.get(username="reviewer_a")
            app = application_transition(application=app, action="start_review", actor=reviewer)
            app = application_recommend(application=app, actor=reviewer, recommendation="approve")
            application_approve(application=app, actor=User.objects.get(username="approver_a"))
        return 1

    def _seed_hospital_records(self) -> int:
        """One-stop hospital settlements of this year, through the import's own checks, then the
        recompute: 察素齐镇 gets warnings to follow up, and 一屏观救助 has figures to draw."""
        from django.utils import timezone

        from beneficiaries.idnumber import check_digit
        from monitoring import hospital_import
        from monitoring.models import HospitalSettlement
        from monitoring.recompute import monitoring_recompute

        if HospitalSettlement.objects.exists():
            return 0
        year = timezone.localdate().year
        qiqige = "150121195208171080"  # 其其格 of _seed_cases (check digit added below)
        people = {
            # key: (id body, name, township code)
            "gao": ("15012119700515002", "高娜仁", "150121100"),
            "meng": ("15012119620303003", "孟和", "150121100"),
            "bai": ("15012119550909004", "白玉", "150121101"),
            "han": ("15012219681111006", "韩淑珍", "150122100"),
            "zhao": ("15012219801230007", "赵永", "150122101"),
        }
        ids = {k: body + check_digit(body) for k, (body, _, _) in people.items()}
        ids["qiqige"] = qiqige[:17] + check_digit(qiqige[:17])
        names = {k: v[1] for k, v in people.items()} | {"qiqige": "其其格"}
        towns = {k: v[2] for k, v in people.items()} | {"qiqige": ""}
        # person, hospital, level, kind, month, total, scope, basic, critical, out, assistance, category
        bills = [
            ("gao", "内蒙古自治区人民医院", "三级", "住院", 3, "86000", "70000", "42000", "8000", "12000", "0", ""),
            ("gao", "土默特左旗医院", "二级", "住院", 7, "9800", "9000", "6300", "0", "600", "0", ""),
            ("meng", "内蒙古医科大学附属医院", "三级", "住院", 5, "32000", "29000", "17400", "2000", "2600", "0", ""),
            ("qiqige", "内蒙古医科大学附属医院", "三级", "住院", 4, "48000", "40000", "24000", "3000", "4500", "9100", "低保对象"),
            ("bai", "土默特左旗医院", "二级", "住院", 6, "15600", "13800", "9660", "0", "1500", "0", ""),
            ("han", "托克托县医院", "二级", "住院", 2, "22000", "20500", "14350", "0", "900", "0", ""),
            ("han", "内蒙古自治区人民医院", "三级", "住院", 9, "41000", "36000", "21600", "2500", "4200", "0", ""),
            ("zhao", "托克托县医院", "二级", "门诊慢特病", 8, "3600", "3500", "2100", "0", "80", "0", ""),
        ]  # fmt: skip
        rows = []
        for n, (who, hospital, level, kind, month, *amounts, category) in enumerate(bills, 2):
            start, end = date(year, month, 3), date(year, month, 16)
            rows.append((n, {
                "id_number": ids[who], "name": names[who], "township": towns[who],
                "hospital": hospital, "hospital_level": level, "kind": kind,
                "admitted_on": start if kind == "住院" else "", "discharged_on": end if kind == "住院" else "",
                "visit_on": end if kind != "住院" else "",
                **dict(zip(("total", "policy_scope", "basic_paid", "critical_paid", "out_of_list",
                            "assistance_paid"), amounts, strict=True)),
                "settlement_number": f"DEMO{year}{n:04d}", "category": category,
                "hospital_code": DEMO_HOSPITAL_CODES[hospital], "invoice_number": f"DEMOFP{year}{n:04d}",
            }))  # fmt: skip
        outcomes = list(
            hospital_import.process(rows, batch=None, today=timezone.localdate(), dry_run=False)
        )
        refused = [o for o in outcomes if o.errors]
        if refused:
            raise CommandError(f"演示医院结算数据有误：{refused[0].errors}")
        monitoring_recompute(full=True, reason="演示数据")
        return len(outcomes)

    def _seed_funds(self, counties: list[County]) -> int:
        """This year's demo money by source for each county (救助资金台账; marked as demo)."""
        from django.utils import timezone

        from settlements.funds import default_sources
        from settlements.models import FundAllocation, FundSource

        default_sources()
        year = timezone.localdate().year
        made = 0
        for county in counties:
            for code, amount in (("central", "1200000.00"), ("region", "600000.00"),
                                 ("city", "300000.00"), ("county", "400000.00"),
                                 ("lottery", "50000.00")):  # fmt: skip
                _row, new = FundAllocation.objects.get_or_create(
                    county=county,
                    year=year,
                    source=FundSource.objects.get(code=code),
                    defaults={"amount": amount, "note": "演示数据"},
                )
                made += int(new)
        return made

    def _seed_incomes(self) -> int:
        """Demo statistics so that deductibles can be computed (marked as demo on the policy page)."""
        from settlements.models import PolicyVersion
        from settlements.services import policy_version_create

        if PolicyVersion.objects.filter(policy_code="hohhot-2023").exists():
            return 0
        policy_version_create(
            policy_code="hohhot-2023",
            effective_from=date(2023, 1, 1),
            values={
                "city_income": "50000.00",
                "rural_income": "20000.00",
                # the 因病致贫 pre-check compares with each county's minimum living standard
                "illness_poor.dibao_standard.urban": {"150121": "9600.00", "150122": "9600.00"},
                "illness_poor.dibao_standard.rural": {"150121": "7800.00", "150122": "7800.00"},
                # the participation subsidy's base (资助参保名单)
                "subsidy.contribution": "400.00",
            },
            source="演示数据（正式使用前请按统计公报设置）",
            basis="demo",
            reason="演示用的上年人均可支配收入、各旗县区低保标准和居民医保个人缴费标准",
            actor=User.objects.get(username="admin"),
        )
        return 1


def _demo_referral(person: Any, n: int, stay_end: Any) -> None:
    """The demo stay's referral (转诊备案), registered at the window before the intake."""
    from beneficiaries.models import Referral

    Referral.objects.get_or_create(
        number=f"ZZDEMO{stay_end:%Y}{n:04d}",
        defaults={
            "person": person,
            "from_hospital": "察素齐镇卫生院",
            "to_hospital": "土默特左旗医院",
            "to_code": DEMO_HOSPITAL_CODES["土默特左旗医院"],
            "area_code": "150121",
            "valid_from": stay_end - timedelta(days=30),
            "valid_to": stay_end + timedelta(days=30),
            "reason": "病情需要",
            "source": Referral.Source.WINDOW,
        },
    )


def _demo_stay(n: int, stay_end: Any) -> Any:
    """The demo case's hospital stay: a county hospital, referred, bigger with each case."""
    from decimal import Decimal

    from applications.models import MedicalExpense

    return MedicalExpense(
        hospital="土默特左旗医院",
        hospital_code=DEMO_HOSPITAL_CODES["土默特左旗医院"],
        invoice_number=f"15012126{stay_end:%y%m%d}{n:04d}",
        settlement_number=f"JS{stay_end:%Y%m%d}{n:05d}",
        hospital_level="tier2",
        kind="inpatient",
        in_region=True,
        referred=True,
        admitted_on=stay_end - timedelta(days=8),
        discharged_on=stay_end,
        total=Decimal("38000.00") + n * 7000,
        policy_scope=Decimal("32000.00") + n * 6000,
        basic_paid=Decimal("19000.00") + n * 3000,
        critical_paid=Decimal("2000.00"),
    )
