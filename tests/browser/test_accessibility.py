"""Issue 39: every page of every role, and the applicant's pages, read by axe-core (the engine
browsers' own audits use, installed from npm by ``scripts/install-axe``): 0 critical, 0 serious.
The same walk follows every link inside the pages (not only the menus) and finds none dead: a link a
role is shown must open for that role. The figures go to test-artifacts/accessibility.txt, which
``scripts/test-all`` prints."""

from __future__ import annotations

import json
import re
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.cache import cache
from django.core.management import call_command

from applications.models import Application, Notification
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
ROLES = ("clerk_a", "reviewer_a", "approver_a", "finance_a", "admin")
NEVER = re.compile(r"/accounts/logout/|/admin/logout/|/static/|/media/")
PER_PATTERN = 1  # pages of one shape (one case page stands for every case page) read by axe
DEPTH = 3


def _shape(url: str) -> str:
    """The page's shape: its path with every segment holding a digit made one (a number, an id)."""
    path = urlsplit(url).path
    return re.sub(r"/[^/]*\d[^/]*", "/N", path)


# Django's own admin widgets, left to Django and not read (named in the closing note of issue 39): the
# calendar's “今天” shortcut, the filter box of a two-list selector, the unlabelled cells of inline
# and list-editable tables
DJANGO_WIDGETS = [".datetimeshortcuts", ".selector-filter", ".inline-group", "#result_list"]


def _axe(page) -> list[dict]:
    """axe's violations of WCAG 2.1 A and AA on the page, as loaded (evaluated through the driver,
    so the portal's Content-Security-Policy needs no exception)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    exclude = [[w] for w in DJANGO_WIDGETS] if "/admin/" in page.url else []
    return page.evaluate(
        """async (exclude) => (await axe.run({exclude}, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + (n.failureSummary || '')
                .split('\\n').slice(1, 2).join(''))}))""",
        exclude,
    )


def _links(page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")
    out = []
    for href in hrefs:
        url = urldefrag(href)[0]
        if url.startswith(origin) and not NEVER.search(url):
            out.append(url)
    return out


def _walk(page, start: str, origin: str, report: dict, who: str) -> None:
    """Breadth-first from the role's first page: every link is opened (dead: 400 and above); each
    HTML page of a new shape is loaded in the browser and read by axe; links of those pages are
    followed to DEPTH."""
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    queue = deque([(start, None, 0)])
    while queue:
        url, source, depth = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = page.request.get(url, max_redirects=5)
        report["links"] += 1
        if response.status >= 400:
            report["dead"].append(f"{who}: {response.status} {url}（来自 {source}）")
            continue
        html = "text/html" in response.headers.get("content-type", "")
        shape = _shape(url)
        if not html or shapes.get(shape, 0) >= PER_PATTERN or depth > DEPTH:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        page.goto(url)
        report["pages"] += 1
        for v in _axe(page):
            report["impacts"][v["impact"]] = report["impacts"].get(v["impact"], 0) + 1
            if v["impact"] in ("critical", "serious"):
                report["faults"].append(f"{who}: {v['impact']} {v['id']} {page.url}: {v['nodes']}")
        queue.extend((link, url, depth + 1) for link in _links(page, origin) if link not in seen)


def _applicant(browser, base: str, report: dict) -> None:
    """The applicant's pages on a phone: the form, the result with an open promise, 网上补交."""
    app = Application.objects.get(person__name="其其格")
    phone = browser.new_context(locale="zh-CN", viewport={"width": 360, "height": 740}).new_page()
    phone.goto(f"{base}/status/?number={app.number}")
    faults = [_axe(phone)]
    phone.get_by_label("申请人身份证号后 6 位").fill(app.person.id_number[-6:])
    phone.get_by_role("button", name="查询").click()
    faults.append(_axe(phone))
    phone.get_by_test_id("online-link").click()
    phone.get_by_role("button", name="发送验证码到登记的手机").click()
    faults.append(_axe(phone))
    sms = Notification.objects.filter(application=app, kind="code").latest("id").text
    phone.get_by_label("短信验证码（6 位数字）").fill(re.search(r"\d{6}", sms).group(0))
    phone.get_by_role("button", name="确定").click()
    faults.append(_axe(phone))
    phone.goto(f"{base}/status/?large=1")
    faults.append(_axe(phone))
    size = phone.evaluate(
        "performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
        ".reduce((s, e) => s + (e.transferSize || e.encodedBodySize || 0), 0)"
    )
    report["status_bytes"] = size
    for violations in faults:
        report["pages"] += 1
        for v in violations:
            report["impacts"][v["impact"]] = report["impacts"].get(v["impact"], 0) + 1
            if v["impact"] in ("critical", "serious"):
                report["faults"].append(f"{v['impact']} {v['id']} 申请人页面: {v['nodes']}")
    phone.context.close()


def test_every_page_of_every_role_reads_well_and_no_link_is_dead(live_server, browser):
    assert AXE.exists(), "axe-core is missing: run scripts/install-axe (make test does)"
    call_command("seed_demo")
    cache.clear()
    report: dict = {"pages": 0, "links": 0, "dead": [], "faults": [], "impacts": {}}
    for username in ROLES:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(live_server.url + "/accounts/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill("demo12345")
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        _walk(page, page.url, live_server.url, report, username)
        context.close()
    _applicant(browser, live_server.url, report)
    impacts = report["impacts"]
    summary = (
        f"axe-core {json.loads(AXE.parent.joinpath('package.json').read_text())['version']}："
        f"{report['pages']} 个页面（{len(ROLES)} 个角色 + 申请人），"
        f"critical {impacts.get('critical', 0)}，serious {impacts.get('serious', 0)}，"
        f"moderate {impacts.get('moderate', 0)}，minor {impacts.get('minor', 0)}；"
        f"链接 {report['links']} 个，失效 {len(report['dead'])} 个；"
        f"查询页（长辈版）传输 {report['status_bytes'] / 1024:.1f} KB"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "accessibility.txt").write_text(
        "\n".join([summary, *report["faults"], *report["dead"]]) + "\n", encoding="utf-8"
    )
    print(summary)
    assert not report["dead"], "\n".join(report["dead"])
    assert not report["faults"], "\n".join(report["faults"])
    assert report["status_bytes"] < 100 * 1024
