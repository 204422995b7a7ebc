from datetime import date

from audit.models import AuditEvent
from beneficiaries import services
from beneficiaries.models import HardshipIdentity, IdentityImport, ImportRow, Person
from tests.beneficiaries.conftest import SAMPLES, csv_bytes, idn

A = idn("15012119580312002")
B = idn("15012119420708001")
C = idn("15012119500101003")


def rows_of(batch, kind):
    return list(batch.rows.filter(kind=kind).values_list("row_number", "message"))


def test_preview_counts_and_writes_nothing(world, run_import):
    batch = run_import(
        csv_bytes(
            [[A, "乌兰其其格", "低保对象", "2023-01-01", "", "150121100", "Z1", "民政", "139", ""]]
        ),
        apply=False,
    )
    assert batch.status == IdentityImport.Status.PREVIEWED
    assert (batch.total_rows, batch.bad_rows, batch.people_created, batch.identities_created) == (
        1,
        0,
        1,
        1,
    )
    assert Person.objects.count() == 0 and HardshipIdentity.objects.count() == 0


def test_apply_creates_people_and_identities_with_their_source(world, run_import):
    batch = run_import(
        csv_bytes(
            [
                [
                    A,
                    "乌兰其其格",
                    "低保对象",
                    "2023-01-01",
                    "",
                    "150121100",
                    "土民低保[2023]0012",
                    "民政",
                    "13904710001",
                    "西街村",
                ],
                [B, "张福来", "tekun", "2022/07/01", "2030-06-30", "察素齐镇", "", "", "", ""],
            ]
        )
    )
    assert batch.status == IdentityImport.Status.APPLIED
    assert (batch.people_created, batch.identities_created, batch.bad_rows) == (2, 2, 0)
    person = Person.objects.with_id_number(A).get()
    assert (person.name, person.sex, person.birth_date, person.township) == (
        "乌兰其其格",
        "F",
        date(1958, 3, 12),
        world.town_a1,
    )
    assert (person.phone, person.address, person.hukou_place) == (
        "13904710001",
        "西街村",
        "内蒙古自治区土默特左旗",
    )
    ident = person.identities.get()
    assert (ident.category, ident.certified_on, ident.ended_on) == ("dibao", date(2023, 1, 1), None)
    assert (ident.department, ident.certificate_number, ident.source, ident.source_import) == (
        "民政",
        "土民低保[2023]0012",
        "import",
        batch,
    )
    tekun = HardshipIdentity.objects.get(person=Person.objects.with_id_number(B).get())
    assert (tekun.category, tekun.certified_on, tekun.ended_on, tekun.department) == (
        "tekun",
        date(2022, 7, 1),
        date(2030, 6, 30),
        "民政",
    )  # department defaults to the import's
    assert AuditEvent.objects.filter(
        target_type="beneficiaries.identityimport", event="import.finished"
    ).exists()


def test_reimporting_the_same_file_changes_nothing(world, run_import):
    content = csv_bytes(
        [
            [
                A,
                "乌兰其其格",
                "低保对象",
                "2023-01-01",
                "",
                "150121100",
                "Z1",
                "民政",
                "139",
                "西街村",
            ]
        ]
    )
    run_import(content)
    before = list(HardshipIdentity.objects.values())
    second = run_import(content)
    assert (
        second.people_created,
        second.people_updated,
        second.identities_created,
        second.identities_updated,
        second.identities_unchanged,
    ) == (0, 0, 0, 0, 1)
    assert list(HardshipIdentity.objects.values()) == before
    assert Person.objects.count() == 1
    assert services.earlier_same_file(second) is not None


def test_a_later_file_updates_end_dates_and_adds_categories_and_says_what_changed(
    world, run_import
):
    run_import(
        csv_bytes(
            [[A, "乌兰其其格", "低保边缘", "2023-01-01", "", "150121100", "Z1", "民政", "139", ""]]
        )
    )
    later = run_import(
        csv_bytes(
            [
                [
                    A,
                    "乌兰其其格",
                    "低保边缘",
                    "2023-01-01",
                    "2023-05-31",
                    "150121100",
                    "Z1",
                    "民政",
                    "139",
                    "",
                ],
                [
                    A,
                    "乌兰其其格",
                    "低保对象",
                    "2023-06-01",
                    "",
                    "150121100",
                    "Z2",
                    "民政",
                    "139",
                    "",
                ],
            ]
        )
    )
    assert (later.identities_created, later.identities_updated, later.people_created) == (1, 1, 0)
    edge = HardshipIdentity.objects.get(category="dibao_edge")
    assert edge.ended_on == date(2023, 5, 31)
    assert HardshipIdentity.objects.get(category="dibao").certified_on == date(2023, 6, 1)
    assert rows_of(later, ImportRow.Kind.CHANGED) == [
        (2, "低保边缘家庭成员（认定日期 2023-01-01）终止日期：无 → 2023-05-31"),
        (3, "新增困难身份：低保对象，认定日期 2023-06-01"),
    ]


def test_every_bad_row_is_listed_with_its_reason_and_not_imported(world, run_import):
    batch = run_import(
        csv_bytes(
            [
                [
                    "150121195803120021",
                    "甲",
                    "低保对象",
                    "2023-01-01",
                    "",
                    "150121100",
                    "",
                    "",
                    "",
                    "",
                ],
                [
                    idn("15012119580312003"),
                    "乙",
                    "五保户",
                    "2023-01-01",
                    "",
                    "150121100",
                    "",
                    "",
                    "",
                    "",
                ],
                [
                    idn("15012119580312004"),
                    "丙",
                    "低保对象",
                    "2023-02-30",
                    "",
                    "150121100",
                    "",
                    "",
                    "",
                    "",
                ],
                [
                    idn("15012119580312005"),
                    "丁",
                    "低保对象",
                    "2023-03-01",
                    "2023-02-01",
                    "150121100",
                    "",
                    "",
                    "",
                    "",
                ],
                [
                    idn("15012119580312006"),
                    "戊",
                    "低保对象",
                    "2023-03-01",
                    "",
                    "999999999",
                    "",
                    "",
                    "",
                    "",
                ],
                [idn("15012119580312007"), "", "低保对象", "", "", "150121100", "", "", "", ""],
                [A, "己", "低保对象", "2023-01-01", "", "150121100", "", "", "", ""],
            ]
        )
    )
    assert (batch.total_rows, batch.bad_rows, batch.people_created) == (7, 6, 1)
    assert rows_of(batch, ImportRow.Kind.ERROR) == [
        (2, "身份证号码校验位不正确，请核对后重新输入。"),
        (3, "困难身份类别“五保户”无法识别（可填 低保对象、特困人员、dibao 等）。"),
        (4, "认定日期“2023-02-30”不是有效日期（应为 2023-01-01 这样的日期）。"),
        (5, "终止日期 2023-02-01 早于认定日期 2023-03-01。"),
        (6, "居住乡镇“999999999”不在本市的乡镇（街道）名单中（可填 9 位区划代码或唯一的名称）。"),
        (7, "姓名为空。"),
        (7, "认定日期为空。"),
    ]
    assert list(Person.objects.values_list("id_number", flat=True)) == [A]
    masked = batch.rows.filter(kind=ImportRow.Kind.ERROR).first().id_number
    assert masked == "1501**********0021"


def test_future_certification_is_refused(world, run_import):
    batch = run_import(
        csv_bytes([[A, "甲", "低保对象", "2099-01-01", "", "150121100", "", "", "", ""]])
    )
    assert rows_of(batch, ImportRow.Kind.ERROR) == [(2, "认定日期 2099-01-01 晚于今天。")]


def test_same_person_twice_in_a_file_is_merged(world, run_import):
    batch = run_import(
        csv_bytes(
            [
                [A, "乌兰其其格", "低保边缘", "2023-01-01", "", "150121100", "", "", "", ""],
                [
                    A.lower(),
                    "乌兰其其格",
                    "低保对象",
                    "2023-06-01",
                    "",
                    "150121100",
                    "",
                    "",
                    "",
                    "",
                ],
            ]
        )
    )
    assert Person.objects.with_id_number(A).count() == 1
    assert batch.people_created == 1 and batch.identities_created == 2


def test_same_phone_on_different_people_is_a_warning(world, run_import):
    batch = run_import(
        csv_bytes(
            [
                [A, "甲", "低保对象", "2023-01-01", "", "150121100", "", "", "13904710001", ""],
                [B, "乙", "低保对象", "2023-01-01", "", "150121100", "", "", "13904710001", ""],
            ]
        )
    )
    assert batch.bad_rows == 0 and batch.warning_rows == 2
    assert rows_of(batch, ImportRow.Kind.WARNING)[0] == (
        2,
        "联系电话 13904710001 也登记在 1 位其他人员名下（1501**********0019）。",
    )


def test_old_county_code_is_imported_with_a_warning(world, run_import):
    batch = run_import(
        csv_bytes(
            [
                [
                    "440304196001010018",
                    "陈秀英",
                    "低保对象",
                    "2023-01-01",
                    "",
                    "150121100",
                    "",
                    "",
                    "",
                    "",
                ]
            ]
        )
    )
    assert batch.people_created == 1
    assert "440304" in Person.objects.get().id_warning
    assert "已接受" in rows_of(batch, ImportRow.Kind.WARNING)[0][1]


def test_sample_files_import_cleanly(world, run_import):
    from tests.factories import TownshipFactory

    for code, name in [("150121102", "善岱镇"), ("150122101", "新营子镇"), ("150122102", "五申镇")]:
        TownshipFactory(
            county=world.county_a if code.startswith("150121") else world.county_b,
            code=code,
            name=name,
        )
    csv_batch = run_import(
        (SAMPLES / "identities-sample.csv").read_bytes(), "identities-sample.csv"
    )
    assert (csv_batch.total_rows, csv_batch.bad_rows, csv_batch.people_created) == (8, 0, 8)
    xlsx_batch = run_import(
        (SAMPLES / "identities-sample.xlsx").read_bytes(), "identities-sample.xlsx"
    )
    assert (xlsx_batch.total_rows, xlsx_batch.bad_rows, xlsx_batch.identities_unchanged) == (
        8,
        0,
        8,
    )
