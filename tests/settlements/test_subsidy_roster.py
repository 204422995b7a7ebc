"""The participation-subsidy roster (issue 20, first part): built from the registry per county and
enrolment year, once per person, joiners at once, ended identities marked; built again, it changes
only what changed."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError

from audit.models import AuditEvent
from beneficiaries.models import HardshipIdentity
from settlements.models import SubsidyEntry
from settlements.services import policy_version_create
from settlements.subsidies import roster_build
from tests.factories import PersonFactory


def identity(person, category, start, end=None):
    return HardshipIdentity.objects.create(
        person=person, category=category, department="民政" if category != "returned_poor" else "乡村振兴",
        certified_on=start, ended_on=end, source="import",
    )  # fmt: skip


@pytest.fixture
def contribution(world):
    policy_version_create(
        policy_code="hohhot-2023",
        effective_from=date(2023, 1, 1),
        values={"subsidy.contribution": "400.00"},
        source="测试：居民医保个人缴费标准",
        actor=world.users["admin"],
    )


def test_the_roster_subsidises_each_person_once_from_the_day_they_count(world, contribution):
    tekun = PersonFactory(township=world.town_a1, name="特困")
    identity(tekun, "tekun", date(2025, 3, 1))
    joiner = PersonFactory(township=world.town_a2, name="年中认定")
    identity(joiner, "dibao", date(2026, 5, 10))
    both = PersonFactory(township=world.town_a1, name="两个身份")
    identity(both, "dibao", date(2024, 1, 1))
    identity(both, "tekun", date(2026, 2, 1))
    ended = PersonFactory(township=world.town_a1, name="年中终止")
    identity(ended, "returned_poor", date(2024, 1, 1), date(2026, 8, 31))
    edge = PersonFactory(township=world.town_a1, name="低保边缘")
    identity(edge, "dibao_edge", date(2024, 1, 1))  # 三(一) names no subsidy for it
    gone = PersonFactory(township=world.town_a1, name="上年终止")
    identity(gone, "dibao", date(2023, 1, 1), date(2025, 12, 31))
    elsewhere = PersonFactory(township=world.town_b1, name="外县")
    identity(elsewhere, "tekun", date(2024, 1, 1))

    roster = roster_build(county=world.county_a, year=2026, actor=world.users["admin"])
    got = {
        e.person.name: (e.category, e.amount, e.joined_on, e.ended_on)
        for e in SubsidyEntry.objects.filter(roster=roster).select_related("person")
    }
    assert got == {
        "特困": ("tekun", Decimal("400.00"), date(2026, 1, 1), None),
        "年中认定": ("dibao", Decimal("180.00"), date(2026, 5, 10), None),
        "两个身份": ("tekun", Decimal("400.00"), date(2026, 1, 1), None),
        "年中终止": ("returned_poor", Decimal("180.00"), date(2026, 1, 1), date(2026, 8, 31)),
    }
    lines = SubsidyEntry.objects.get(person=both).lines
    assert lines[-1] == "同时具有 2 个身份，按资助最多的“特困”资助一次（就高不就低，不重复资助）"
    assert AuditEvent.objects.filter(
        summary="生成土默特左旗 2026 年资助参保名单：新增 4 人，变化 0 人"
    ).exists()

    # built again: nothing changes; a new certification joins; a second entry is refused
    late = PersonFactory(township=world.town_a1, name="十月认定")
    identity(late, "tekun", date(2026, 10, 8))
    roster_build(county=world.county_a, year=2026, actor=None)
    assert AuditEvent.objects.filter(
        summary="生成土默特左旗 2026 年资助参保名单：新增 1 人，变化 0 人"
    ).exists()
    assert SubsidyEntry.objects.get(person=late).joined_on == date(2026, 10, 8)
    with pytest.raises(IntegrityError):
        SubsidyEntry.objects.create(
            roster=roster, person=late, category="tekun", contribution=Decimal("400.00"),
            amount=Decimal("400.00"), joined_on=date(2026, 10, 8),
        )  # fmt: skip


def test_the_database_refuses_a_subsidy_above_the_contribution(world, contribution):
    person = PersonFactory(township=world.town_a1)
    identity(person, "tekun", date(2025, 1, 1))
    roster = roster_build(county=world.county_a, year=2026, actor=None)
    with pytest.raises(IntegrityError):
        SubsidyEntry.objects.filter(roster=roster).update(amount=Decimal("400.01"))


def test_finance_builds_and_exports_the_roster_and_the_county_reads_it(client, world, contribution):
    import csv
    import io

    from django.urls import reverse

    person = PersonFactory(township=world.town_a1, name="巴特尔", id_number="150121196001010014")
    identity(person, "dibao", date(2026, 4, 2))
    url = reverse("settlements:roster")
    client.force_login(world.users["finance"])
    assert "还没有生成这一年的名单" in client.get(f"{url}?year=2026").content.decode()
    response = client.post(reverse("settlements:roster_build"), {"year": "2026"}, follow=True)
    page = response.content.decode()
    assert "共 <strong>1</strong> 人，资助合计 <strong>180.00</strong> 元" in page
    assert "150121196001010014" not in page and "1501**********0014" in page
    export = client.get(reverse("settlements:roster_export") + "?year=2026")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[1] == ["1", "150121196001010014", "巴特尔", "察素齐镇", "低保对象", "400.00",
                       "180.00", "2026-04-02", "", "", "", ""]  # fmt: skip
    assert AuditEvent.objects.filter(
        actor=world.users["finance"],
        action="export",
        summary="导出土默特左旗 2026 年资助参保名单 1 人（CSV）",
    ).exists()
    client.force_login(world.users["reviewer"])
    page = client.get(f"{url}?year=2026").content.decode()
    assert "巴特尔" in page and "按身份库重新生成" not in page  # read only


def test_the_result_file_round_trip_and_the_townships_follow_up(client, world, contribution):
    import csv
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from settlements.models import SubsidyRoster

    first = PersonFactory(township=world.town_a1, name="巴特尔", id_number="150121196001010014")
    identity(first, "dibao", date(2026, 4, 2))
    second = PersonFactory(township=world.town_a2, name="其其格", phone="13904711234")
    identity(second, "tekun", date(2025, 1, 1))
    client.force_login(world.users["finance"])
    client.post(reverse("settlements:roster_build"), {"year": "2026"})
    exported = client.get(reverse("settlements:roster_export") + "?year=2026")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][-2:] == ["参保结果", "未参保原因"]

    def upload(table):
        buffer = io.StringIO()
        csv.writer(buffer).writerows(table)
        data = SimpleUploadedFile("结果.csv", buffer.getvalue().encode("utf-8-sig"))
        return client.post(
            reverse("settlements:roster_result"), {"year": "2026", "file": data}, follow=True
        ).content.decode()

    by_name = {r[2]: r for r in rows[1:]}
    bad = [
        rows[0],
        [*by_name["巴特尔"][:10], "已参保", ""],
        [*by_name["其其格"][:10], "未参保", ""],
    ]
    page = upload(bad)
    assert "结果文件未导入，任何人的结果都没有改变：第 3 行：未参保的须写明原因" in page
    roster = SubsidyRoster.objects.get()
    assert not SubsidyEntry.objects.filter(roster=roster).exclude(enrolment="").exists()
    stranger = ["9", "150121196001010022", "外人", "", "", "", "", "", "", "", "已参保", ""]
    assert "第 2 行：1501**********0022 不在本名单中" in upload([rows[0], stranger])
    good = [rows[0], [*by_name["巴特尔"][:10], "已参保", ""],
            [*by_name["其其格"][:10], "未参保", "外出务工，联系不上"]]  # fmt: skip
    assert "已登记 2 人的参保结果。" in upload(good)
    assert SubsidyEntry.objects.get(person=second).enrolment_reason == "外出务工，联系不上"
    assert (
        "未参保 <strong>1</strong> 人"
        in client.get(reverse("settlements:roster") + "?year=2026").content.decode()
    )
    # the township of the person not enrolled follows up; the other township does not see them
    client.force_login(world.clerk_a2)
    page = client.get(reverse("settlements:roster_followup")).content.decode()
    assert "其其格" in page and "外出务工，联系不上" in page and "13904711234" in page
    client.force_login(world.users["clerk"])
    assert "其其格" not in client.get(reverse("settlements:roster_followup")).content.decode()
    # the next result says enrolled: off the list
    client.force_login(world.users["finance"])
    upload([rows[0], [*by_name["其其格"][:10], "已参保", ""]])
    client.force_login(world.clerk_a2)
    assert "没有未参保的人员" in client.get(reverse("settlements:roster_followup")).content.decode()


def test_without_the_contribution_the_roster_is_not_built_and_says_what_to_set(client, world):
    from django.urls import reverse

    from settlements.models import SubsidyRoster

    person = PersonFactory(township=world.town_a1)
    identity(person, "tekun", date(2025, 1, 1))
    client.force_login(world.users["finance"])
    page = client.post(reverse("settlements:roster_build"), {"year": "2026"}, follow=True)
    assert (
        "名单未生成：2026 年的居民医保个人缴费标准（居民，元/人·年）（subsidy.contribution）尚未设置"
        in page.content.decode()
    )
    assert not SubsidyRoster.objects.exists()
