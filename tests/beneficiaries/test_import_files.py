"""Identity imports, continued: files as departments send them (GB18030, missing columns, fake or
oversized files), a second click, writing in batches, staging without clear ID numbers."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from beneficiaries import services
from beneficiaries.models import IdentityImport, Person, StagedRow
from tests.beneficiaries.conftest import csv_bytes, idn
from tests.beneficiaries.test_import import A, B, C


def test_gb18030_csv_from_chinese_excel_is_read(world, run_import):
    content = csv_bytes(
        [[A, "乌兰其其格", "低保对象", "2023-01-01", "", "察素齐镇", "", "", "", ""]],
        encoding="gb18030",
    )
    batch = run_import(content)
    assert batch.people_created == 1 and Person.objects.get().name == "乌兰其其格"


def test_missing_column_fails_the_file_with_a_clear_message(world, run_import):
    batch = run_import(csv_bytes([[A, "甲"]], header=["公民身份号码", "姓名"]))
    assert batch.status == IdentityImport.Status.FAILED
    assert (
        batch.message == "缺少必需的列：困难身份类别、认定日期、居住乡镇。请按模板的列名填写表头。"
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("data.xlsx", b"name,id\n1,2\n", "文件内容不是 XLSX 表格（可能是改了扩展名的其他文件）。"),
        ("data.csv", b"%PDF-1.7 binary", "文件内容不是 CSV 文本（可能是改了扩展名的其他文件）。"),
        ("data.exe", b"MZ", "只支持 CSV（.csv）和 Excel（.xlsx）文件。"),
        ("data.csv", b"", "文件是空的。"),
    ],
)
def test_fake_or_wrong_files_are_refused_and_nothing_is_kept(world, name, content, message):
    with pytest.raises(ValidationError) as exc:
        services.identity_import_create(
            upload=SimpleUploadedFile(name, content), department="民政", actor=world.users["admin"]
        )
    assert exc.value.messages == [message]
    assert IdentityImport.objects.count() == 0


def test_oversized_file_is_refused(world, settings):
    settings.IMPORT_MAX_BYTES = 1024
    with pytest.raises(ValidationError, match="文件太大"):
        services.identity_import_create(
            upload=SimpleUploadedFile("big.csv", b"a" * 2048),
            department="民政",
            actor=world.users["admin"],
        )


def test_second_apply_click_is_refused(world, run_import):
    batch = run_import(
        csv_bytes([[A, "甲", "低保对象", "2023-01-01", "", "150121100", "", "", "", ""]])
    )
    with pytest.raises(ValidationError) as exc:
        services.identity_import_apply(batch=batch, actor=world.users["admin"])
    assert exc.value.messages == ["该文件当前状态为“已导入”，不能再次导入。"]


def test_apply_writes_in_batches_not_per_row(world, run_import, django_capture_on_commit_callbacks):
    rows = [
        [
            idn(f"1501211950{1 + n // 28 % 12:02d}{1 + n % 28:02d}{n:03d}"),
            f"人{n}",
            "低保对象",
            "2023-01-01",
            "",
            "150121100",
            "",
            "",
            "139047",
            "",
        ]
        for n in range(300)
    ]
    batch = run_import(csv_bytes(rows), apply=False)
    assert (batch.total_rows, batch.bad_rows) == (300, 0)
    with django_capture_on_commit_callbacks(execute=False):
        services.identity_import_apply(batch=batch, actor=world.users["admin"])
    with CaptureQueriesContext(connection) as ctx:
        services.identity_import_run(batch=batch)
    batch.refresh_from_db()
    assert (batch.people_created, batch.identities_created) == (300, 300)
    assert len(ctx.captured_queries) < 40, len(ctx.captured_queries)


def test_an_imports_batches_commit_without_waiting_for_the_disk_a_push_never(
    world, run_import, client, django_capture_on_commit_callbacks
):
    """Each thousand rows of a file's check and import carry their own checkpoint, so their commit
    need not wait for the disk (PostgreSQL, this transaction only); a push is answered, so its
    writes are always durable before the answer."""
    relaxed = "SET LOCAL synchronous_commit TO OFF"
    expected = 1 if connection.vendor == "postgresql" else 0  # 300 rows: one batch
    rows = [
        [idn(f"1501211950{1 + n // 28 % 12:02d}{1 + n % 28:02d}{n:03d}"), f"人{n}", "低保对象",
         "2023-01-01", "", "150121100", "", "", "", ""]
        for n in range(300)
    ]  # fmt: skip
    admin = world.users["admin"]
    with django_capture_on_commit_callbacks(execute=False):
        batch = services.identity_import_create(
            upload=SimpleUploadedFile("i.csv", csv_bytes(rows)), department="民政", actor=admin
        )
    with CaptureQueriesContext(connection) as check:
        services.identity_import_preview(batch=batch)
    with django_capture_on_commit_callbacks(execute=False):
        services.identity_import_apply(batch=batch, actor=admin)
    with CaptureQueriesContext(connection) as run:
        services.identity_import_run(batch=batch)
    batch.refresh_from_db()
    assert (batch.status, batch.people_created) == (IdentityImport.Status.APPLIED, 300)
    assert [q["sql"] for q in check.captured_queries].count(relaxed) == expected
    assert [q["sql"] for q in run.captured_queries].count(relaxed) == expected
    _token, key = services.department_token_create(department="民政", label="民政系统", actor=None)
    record = {"id_number": idn("15012119600101004"), "name": "推", "category": "低保对象",
              "certified_on": "2023-01-01", "township": "150121100"}  # fmt: skip
    with CaptureQueriesContext(connection) as pushed:
        response = client.post(
            "/api/v1/identities",
            data={"records": [record]},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
    assert response.status_code == 200, response.content
    assert Person.objects.filter(name="推").exists()
    assert all(relaxed not in q["sql"] for q in pushed.captured_queries)


def test_the_import_writes_what_the_check_staged_with_no_clear_id_number_kept(
    world, run_import, django_capture_on_commit_callbacks
):
    """The check validates and seals each row once (StagedRow); the import reads those rows, not
    the file again: a file changed on disk after the check changes nothing, the staged rows hold no
    ID number in clear, and they are gone once the import is done."""
    bad = "15012119580312001X"
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
                    "",
                    "",
                    "13904710001",
                    "",
                ],
                [bad, "错号", "低保对象", "2023-01-01", "", "150121100", "", "", "", ""],
                [B, "张福来", "tekun", "2022-07-01", "", "察素齐镇", "", "", "", ""],
            ]
        ),
        apply=False,
    )
    staged = list(StagedRow.objects.filter(batch=batch).order_by("row_number"))
    assert [s.row_number for s in staged] == [2, 3, 4]
    for row in staged:
        assert A not in row.data and B not in row.data and bad not in row.data
    assert (
        '"r": null' in staged[1].data and "校验位不正确" in staged[1].data
    )  # refused, with its reason
    Path(batch.file.path).write_bytes(
        csv_bytes([[C, "别人", "低保对象", "2023-01-01", "", "150121100"]])
    )
    with django_capture_on_commit_callbacks(execute=False):
        services.identity_import_apply(batch=batch, actor=world.users["admin"])
    services.identity_import_run(batch=batch)
    batch.refresh_from_db()
    assert (batch.status, batch.people_created, batch.identities_created, batch.bad_rows) == (
        "applied", 2, 2, 1,
    )  # fmt: skip
    person = Person.objects.with_id_number(A).get()
    assert (person.id_number, person.id_tail, person.name, person.phone) == (
        A, A[-4:], "乌兰其其格", "13904710001",
    )  # fmt: skip
    assert Person.objects.with_id_number(B).get().id_number == B
    assert not Person.objects.with_id_number(C).exists()
    refused = batch.rows.get(kind="error")
    assert (refused.row_number, refused.id_number) == (3, "1501**********001X")
    assert "校验位不正确" in refused.message
    assert not StagedRow.objects.filter(batch=batch).exists()


def test_staged_rows_of_a_file_nobody_confirms_go_after_a_week_and_it_still_imports(
    world, run_import, settings, django_capture_on_commit_callbacks
):
    """The sweep clears the sealed rows of a file checked more than IMPORT_STAGED_DAYS ago and not
    confirmed; a newer one keeps them; confirmed later, the old file is read again, same result."""
    from datetime import timedelta

    from django.utils import timezone

    from beneficiaries import tasks

    rows = [[A, "乌兰其其格", "低保对象", "2023-01-01", "", "150121100"]]
    old = run_import(csv_bytes(rows), apply=False)
    new = run_import(csv_bytes([[B, "张福来", "tekun", "2022-07-01", "", "察素齐镇"]]), apply=False)
    IdentityImport.objects.filter(pk=old.pk).update(
        previewed_at=timezone.now() - timedelta(days=settings.IMPORT_STAGED_DAYS, hours=1)
    )
    assert services.staged_rows_expire() == 1
    tasks.resume_stalled_imports()  # the beat task runs the same sweep: nothing more to clear
    assert not StagedRow.objects.filter(batch=old).exists()
    assert StagedRow.objects.filter(batch=new).count() == 1
    with django_capture_on_commit_callbacks(execute=False):
        services.identity_import_apply(batch=old, actor=world.users["admin"])
    services.identity_import_run(batch=old)
    old.refresh_from_db()
    assert (old.status, old.people_created, old.identities_created) == ("applied", 1, 1)
    assert Person.objects.with_id_number(A).get().name == "乌兰其其格"
