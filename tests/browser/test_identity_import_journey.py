"""The administrator imports a department's file: check, confirm, results — with a real worker."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command

from beneficiaries.models import HardshipIdentity, IdentityImport, Person
from tests.browser.conftest import screenshot
from tests.celery_processes import celery_processes

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]
SAMPLE = Path(__file__).resolve().parents[2] / "beneficiaries" / "samples" / "identities-sample.csv"


def test_admin_imports_the_sample_file(live_server, page, tmp_path):
    call_command("seed_demo")
    people_before = Person.objects.count()  # the demo's own few people
    identities_before = HardshipIdentity.objects.count()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill("demo12345")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="管理", exact=True).click()  # the administrator's tools menu
    page.get_by_role("link", name="数据导入").click()
    page.get_by_label("数据来源部门").select_option("民政")
    page.get_by_label("困难身份数据").check()
    page.get_by_label("数据文件").set_input_files(str(SAMPLE))
    with celery_processes(tmp_path) as log:
        page.get_by_role("button", name="上传并检查").click()
        page.wait_for_url(re.compile(r"/people/imports/\d+/$"))
        # The page polls the progress and reloads itself when the worker has checked the file.
        page.get_by_test_id("import-status").filter(has_text="检查完成").wait_for(timeout=60000)
        assert Person.objects.count() == people_before, "a check must not write"
        counts = page.get_by_test_id("import-counts").inner_text()
        assert "检查结果（尚未写入）" in counts
        screenshot(page, "import-preview")
        page.get_by_role("button", name=re.compile("确认导入")).click()
        page.get_by_test_id("import-status").filter(has_text="已导入").wait_for(timeout=60000)
        assert log.exists()
    batch = IdentityImport.objects.get()
    assert (batch.status, batch.total_rows, batch.bad_rows, batch.people_created) == (
        "applied",
        8,
        0,
        8,
    )
    assert HardshipIdentity.objects.count() == identities_before + 8
    page.get_by_role("link", name="提示").click()
    assert "440304" in page.get_by_test_id("import-rows").inner_text()
    screenshot(page, "import-result")
    assert page.console_errors == []
    # The imported people are in the registry: search by name and open a person's page.
    page.get_by_role("link", name="救助对象").click()
    page.get_by_placeholder("完整身份证号、手机号或姓名").fill("乌兰")
    page.get_by_role("button", name="查询").click()
    page.get_by_role("link", name="乌兰其其格").click()
    assert page.get_by_test_id("id-number").inner_text() == "150121195803120026"
    assert page.get_by_test_id("current-identity").inner_text() == "今日适用：低保对象"
    assert "土民低保[2023]0012" in page.get_by_test_id("identities").inner_text()
    screenshot(page, "person-page")
    assert page.console_errors == []
