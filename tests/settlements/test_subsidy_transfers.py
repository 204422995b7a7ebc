"""Issue 20, the roster's second part: a death recorded at the window ends the identities and marks
the roster, the roster exports as XLSX, the subsidy is transferred four-eyes with its PDF list,
once per person, and what was transferred for someone already dead is listed for recovery."""

import io
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction  # (connection: the skipif)
from openpyxl import load_workbook

from accounts.models import Role
from audit.models import AuditEvent
from beneficiaries.services import person_death_record
from payments import transfers
from payments.models import SubsidyTransfer, TransferLine
from settlements.models import SubsidyEntry
from settlements.subsidies import roster_build
from tests.factories import PersonFactory, UserFactory
from tests.settlements.test_subsidy_roster import contribution, identity

__all__ = ["contribution"]  # the fixture, shared with the roster's tests


@pytest.fixture
def finance2(world):
    return UserFactory(username="t_finance2", role=Role.FINANCE, county=world.county_a)


@time_machine.travel(date(2026, 6, 30), tick=False)
def test_a_death_ends_the_identities_and_marks_the_roster(world, contribution):
    clerk = world.users["clerk"]
    died = PersonFactory(township=world.town_a1, name="年中死亡", birth_date=date(1950, 1, 1))
    identity(died, "tekun", date(2024, 1, 1))
    identity(died, "dibao", date(2025, 1, 1), date(2027, 12, 31))
    roster_build(county=world.county_a, year=2026, actor=None)

    # bad inputs: each refused with its words, nothing changed
    for day, note, words in [
        (date(2026, 7, 1), "家属告知", "晚于今天"),
        (date(1949, 12, 31), "家属告知", "早于出生日期"),
        (date(2026, 5, 3), "  ", "请写明信息来源"),
        (date(2023, 12, 1), "家属告知", "早于特困人员（特困供养人员）身份的认定日期 2024-01-01"),
    ]:
        with pytest.raises(ValidationError) as caught:
            person_death_record(person=died, died_on=day, note=note, actor=clerk)
        assert words in "；".join(caught.value.messages)
    died.refresh_from_db()
    assert died.died_on is None
    # another township's clerk may not
    with pytest.raises(PermissionDenied):
        person_death_record(
            person=died, died_on=date(2026, 5, 3), note="家属告知", actor=world.clerk_a2
        )

    person_death_record(
        person=died, died_on=date(2026, 5, 3), note="死亡医学证明 A123", actor=clerk
    )
    assert sorted(died.identities.values_list("category", "ended_on")) == [
        ("dibao", date(2026, 5, 3)),
        ("tekun", date(2026, 5, 3)),
    ]
    ended = AuditEvent.objects.get(event="person.death_recorded")
    assert ended.summary.startswith("因死亡终止困难身份 2 项")
    assert ended.summary.endswith("，终止日期 2026-05-03") and ended.actor == clerk
    with pytest.raises(ValidationError, match="不能重复登记"):
        person_death_record(person=died, died_on=date(2026, 5, 4), note="又一次", actor=clerk)

    roster_build(county=world.county_a, year=2026, actor=None)
    entry = SubsidyEntry.objects.get(person=died)
    assert (entry.category, entry.amount, entry.ended_on, entry.ended_by_death) == (
        "tekun", Decimal("400.00"), date(2026, 5, 3), True,
    )  # fmt: skip
    # next year's roster leaves the dead out
    roster_build(county=world.county_a, year=2027, actor=None)
    assert not SubsidyEntry.objects.filter(person=died, roster__year=2027).exists()


def test_the_roster_exports_as_xlsx_with_the_documented_columns(client, world, contribution):
    p = PersonFactory(township=world.town_a1, name='=HYPERLINK("x")')
    identity(p, "tekun", date(2025, 1, 1))
    roster_build(county=world.county_a, year=2026, actor=None)
    client.force_login(world.users["finance"])
    got = client.get(f"/settlements/subsidy/export/?county={world.county_a.pk}&year=2026&fmt=xlsx")
    assert got.status_code == 200
    assert got["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(got.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:12] == [
        "序号", "公民身份号码", "姓名", "乡镇（街道）", "资助身份", "个人缴费标准（元）",
        "资助金额（元）", "纳入日期", "身份终止日期", "终止原因", "参保结果", "未参保原因",
    ]  # fmt: skip
    assert rows[1][1:7] == [
        p.id_number,
        '=HYPERLINK("x")',
        world.town_a1.name,
        "特困人员（特困供养人员）",
        "400.00",
        "400.00",
    ]
    cell = sheet.cell(row=2, column=3)
    assert cell.data_type == "s"  # a name is never a formula
    assert AuditEvent.objects.filter(
        event="roster.exported", summary__contains="1 人（XLSX）"
    ).exists()


def _roster(world):
    a = PersonFactory(township=world.town_a1, name="特困甲")
    identity(a, "tekun", date(2025, 1, 1))
    b = PersonFactory(township=world.town_a2, name="低保乙")
    identity(b, "dibao", date(2025, 1, 1))
    edge = PersonFactory(township=world.town_a1, name="边缘丙")
    identity(edge, "dibao_edge", date(2025, 1, 1))  # no subsidy: never transferred
    return roster_build(county=world.county_a, year=2026, actor=None), a, b


@time_machine.travel(date(2026, 3, 2), tick=False)
def test_a_transfer_is_prepared_by_one_and_confirmed_by_another_once_per_person(
    client, world, contribution, finance2
):
    finance = world.users["finance"]
    roster, a, _b = _roster(world)
    made = transfers.transfer_prepare(roster=roster, actor=finance)
    assert (made.people, made.total, made.state) == (2, Decimal("580.00"), "prepared")
    assert made.note == "年度资助资金划转"
    assert sorted(made.lines.values_list("entry__person__name", "amount")) == [
        ("低保乙", Decimal("180.00")),
        ("特困甲", Decimal("400.00")),
    ]
    # nobody is due twice; the database refuses a second live line for the same person
    with pytest.raises(ValidationError, match="没有待划转"):
        transfers.transfer_prepare(roster=roster, actor=finance)
    with pytest.raises(IntegrityError), transaction.atomic():
        TransferLine.objects.create(
            transfer=made, entry=SubsidyEntry.objects.get(person=a), amount=Decimal("400.00")
        )
    # four eyes: the preparer cannot confirm, in the service or in the database
    with pytest.raises(ValidationError, match="另一人复核"):
        transfers.transfer_decide(transfer=made, actor=finance, accept=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        SubsidyTransfer.objects.filter(pk=made.pk).update(decided_by=finance)
    with pytest.raises(PermissionDenied):
        transfers.transfer_decide(transfer=made, actor=world.users["approver"], accept=True)
    done = transfers.transfer_decide(transfer=made, actor=finance2, accept=True)
    assert (done.state, done.transferred_on, done.decided_by) == (
        "confirmed", date(2026, 3, 2), finance2,
    )  # fmt: skip
    with pytest.raises(ValidationError, match="不能再次处理"):
        transfers.transfer_decide(transfer=made, actor=finance2, accept=True)
    assert AuditEvent.objects.filter(
        summary=f"复核划转单 {made.number}：2 人，580.00 元，已划转"
    ).exists()

    # a person certified later joins through an addition; a withdrawn addition is due again
    c = PersonFactory(township=world.town_a1, name="新增丁")
    identity(c, "tekun", date(2026, 2, 20))
    roster_build(county=world.county_a, year=2026, actor=None)
    addition = transfers.transfer_prepare(roster=roster, actor=finance2)
    assert (addition.people, addition.total, addition.note) == (
        1, Decimal("400.00"), "新增人员资助资金划转",
    )  # fmt: skip
    with pytest.raises(ValidationError, match="须写明理由"):
        transfers.transfer_decide(transfer=addition, actor=finance, accept=False)
    transfers.transfer_decide(transfer=addition, actor=finance, accept=False, note="金额待核")
    assert transfers.due(roster).get().person == c

    # the PDF list: the people, the total, the two names; the print is in the audit trail
    client.force_login(finance)
    pdf = client.get(f"/settlements/transfers/{made.pk}/list.pdf?county={world.county_a.pk}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for words in (
        "资助参保资金划转明细",
        made.number,
        a.id_number,
        "特困甲",
        "580.00",
        "t_finance2",
    ):
        assert words in text.replace(" ", "").replace("\n", "") or words in text
    assert AuditEvent.objects.filter(summary=f"打印资助资金划转明细 {made.number}（2 人）").exists()
    page = client.get(f"/settlements/transfers/?county={world.county_a.pk}")
    assert page.status_code == 200
    assert made.number in page.content.decode() and "已复核划转" in page.content.decode()
    # another county's finance sees none of it
    client.force_login(UserFactory(username="t_fin_b", role=Role.FINANCE, county=world.county_b))
    assert client.get(f"/settlements/transfers/{made.pk}/list.pdf").status_code == 404


def test_a_subsidy_transferred_for_someone_dead_before_the_year_is_listed_for_recovery(
    world, contribution, finance2
):
    finance = world.users["finance"]
    with time_machine.travel(date(2025, 12, 1), tick=False):
        _roster_2026, a, _b = _roster(world)
        # next year's roster built in advance, and transferred
        next_roster = roster_build(county=world.county_a, year=2027, actor=None)
        t = transfers.transfer_prepare(roster=next_roster, actor=finance)
        transfers.transfer_decide(transfer=t, actor=finance2, accept=True)
        person_death_record(
            person=a, died_on=date(2025, 11, 20), note="民政通报", actor=world.users["clerk"]
        )
    roster_build(county=world.county_a, year=2027, actor=None)
    entry = SubsidyEntry.objects.get(roster=next_roster, person=a)
    assert (entry.ended_on, entry.ended_by_death, entry.dead_before_year) == (
        date(2025, 11, 20), True, True,
    )  # fmt: skip
    listed = list(transfers.paid_after_death(world.county_a))
    assert [(x.entry.person.name, x.amount) for x in listed] == [("特困甲", Decimal("400.00"))]
    # a dead person is never due in a later transfer
    assert not transfers.due(next_roster).filter(person=a).exists()


def test_people_registered_elsewhere_enrol_there_not_on_this_roster(world, contribution):
    here = PersonFactory(township=world.town_a1, name="本地户籍")
    identity(here, "tekun", date(2025, 1, 1))
    away = PersonFactory(township=world.town_a1, name="外地户籍", hukou_local=False,
                         hukou_place="山西省大同市")  # fmt: skip
    identity(away, "tekun", date(2025, 1, 1))
    roster = roster_build(county=world.county_a, year=2026, actor=None)
    assert list(roster.entries.values_list("person__name", flat=True)) == ["本地户籍"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="concurrent writers need PostgreSQL"
)
def test_two_officers_preparing_at_once_transfer_each_person_once(world, contribution, finance2):
    """Two finance officers click 制单划转 at the same moment: the roster's row lock makes the
    second wait and then find nobody due; each person is in one transfer."""
    import threading

    roster, _a, _b = _roster(world)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def prepare(actor):
        try:
            barrier.wait()
            made = transfers.transfer_prepare(roster=roster, actor=actor)
            outcomes.append(f"{made.people}")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connection.close()

    threads = [
        threading.Thread(target=prepare, args=(u,)) for u in (world.users["finance"], finance2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["2", "名单中没有待划转资助资金的人员。"]
    assert TransferLine.objects.filter(live=True).count() == 2
    assert SubsidyTransfer.objects.count() == 1
