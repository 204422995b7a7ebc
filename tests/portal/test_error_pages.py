"""The embedded default is safe to open to a township office (issue 17, point 9): no debug pages,
Chinese error pages with a way back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.test import RequestFactory
from django.views.defaults import server_error

ROOT = Path(__file__).resolve().parents[2]


def test_the_embedded_default_runs_without_debug_unless_asked(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run.stdout.strip() == "False", run.stderr
    env["DEBUG"] = "true"
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run.stdout.strip() == "True", run.stderr


def test_an_unknown_page_is_a_chinese_404_with_the_navigation(client, world):
    client.force_login(world.users["clerk"])
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在" in page and "返回我的工作台" in page and "navbar" in page
    assert "URLconf" not in page and "Traceback" not in page


def test_a_server_error_is_a_chinese_500_with_a_way_back():
    response = server_error(RequestFactory().get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "系统出错了" in page and 'href="/"' in page and "Traceback" not in page


def test_make_run_serves_its_static_files_without_debug():
    assert "--insecure" in (ROOT / "Procfile.dev").read_text()
