"""Fuzz: malformed values to every form of every role, malformed files to every upload and every
file kind, malformed cases to ``manage.py settle``. Nothing may answer 500, raise out of a view or
a worker (the test client re-raises what a view raises: the test fails with its traceback), or
leave ``settle`` with anything but exit 0 or exit 2 and one line.

An outside fuzzing found 51 server errors in about 7,000 posts (decompression bombs in uploads, a
bare word in ``next``, CSV and XLSX files the readers choked on, an id too large for SQLite, a list
where ``settle`` wanted a word): each is in the corpus (tests/fuzz_corpus.py)."""

from __future__ import annotations

import io
import json
import re
from html import unescape
from urllib.parse import urljoin

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from beneficiaries.models import IdentityImport
from beneficiaries.services import identity_import_preview
from tests.fuzz_corpus import VALUES, files
from tests.test_no_dead_ends import ATTR, FIELD, FORM, _crawl, body
from tests.test_no_dead_ends import demo as demo  # the fixture

pytestmark = pytest.mark.django_db

SKIP = ("/accounts/logout", "/admin/", "/accounts/password")  # Django's own admin and sign-out


def forms_on(html: str, path: str) -> list[tuple[str, dict[str, str], list[str], list[str]]]:
    """(target, the form's own values, the names of its fields, its file fields) of each POST
    form of the page."""
    found = []
    for attrs, inner in FORM.findall(html):
        a = dict(ATTR.findall(attrs))
        if a.get("method", "get").lower() != "post":
            continue
        target = urljoin(path, unescape(a["action"])) if a.get("action") else path
        if target.startswith(SKIP):
            continue
        values: dict[str, str] = {}
        names: list[str] = []
        uploads: list[str] = []
        for tag, field_attrs in FIELD.findall(inner):
            f = dict(ATTR.findall(field_attrs))
            name, kind = f.get("name", ""), f.get("type", "text").lower()
            if not name or name == "csrfmiddlewaretoken":
                continue
            if kind == "file":
                uploads.append(name)
                continue
            names.append(name)
            if tag.lower() == "input" and kind not in ("checkbox", "radio"):
                values.setdefault(name, unescape(f.get("value", "")))
        found.append((target, values, names, uploads))
    return found


@pytest.fixture
def busy(demo):
    """Besides the demo's cases, one at each desk: a draft to accept, one under review (the
    correction and the opinion), one recommended (approval and rejection), one approved and not
    yet in a batch (the payment desk). Returns the pages that show them, by user."""
    from types import SimpleNamespace

    from applications.models import Status
    from beneficiaries.models import HardshipIdentity
    from tests.factories import PersonFactory, make_application, walk

    users = {r: User.objects.get(username=f"{r}_a") for r in ("clerk", "reviewer", "approver")}
    world = SimpleNamespace(users=users)
    person = PersonFactory(township=users["clerk"].township, name="宝音")
    HardshipIdentity.objects.create(
        person=person, category="dibao", department="民政", certified_on="2023-01-01", source="user"
    )
    cases = {
        to: walk(world, make_application(person, users["clerk"]), to)
        for to in (Status.APPROVED, Status.RECOMMENDED, Status.IN_REVIEW, Status.DRAFT)
    }
    return {
        "clerk_a": [f"/applications/{cases[Status.DRAFT].number}/accept/",
                    f"/applications/{cases[Status.DRAFT].number}/edit/"],
        "reviewer_a": [cases[Status.IN_REVIEW].get_absolute_url()],
        "approver_a": [cases[Status.RECOMMENDED].get_absolute_url()],
        "finance_a": ["/settlements/"],
    }  # fmt: skip


def every_form(
    client, extra: dict[str, list[str]] | None = None
) -> dict[tuple[str, tuple[str, ...]], tuple[dict[str, str], list[str]]]:
    """Each role's POST forms (landing page, menus and one level below, and the ``extra`` pages),
    one of each shape."""
    shapes: dict[tuple[str, tuple[str, ...]], tuple[dict[str, str], list[str]]] = {}
    for username in ("clerk_a", "reviewer_a", "approver_a", "finance_a", "admin"):
        client.force_login(User.objects.get(username=username))
        pages = [p for p, code in _crawl(client, "/", limit=250).items() if code == 200]
        for path in [*(extra or {}).get(username, []), *pages]:
            if path.startswith(("/admin/", "/help/")):
                continue
            page = client.get(path)
            if not page.get("Content-Type", "").startswith("text/html"):
                continue
            for target, values, names, uploads in forms_on(body(page), path):
                where = re.sub(r"/\d{6}-\d{8}-\d{4}/", "/A/", target.split("?")[0])
                key = (re.sub(r"/\d+/", "/N/", where), tuple(sorted(names)))
                shapes.setdefault(key, ({**values, "_as": username, "_to": target}, uploads))
    return shapes


def test_every_form_of_every_role_answers_malformed_values_without_a_server_error(client, busy):
    forms = every_form(client, busy)
    assert len(forms) >= 25, sorted(forms)  # the walk did reach the portal's forms
    posted = 0
    for (_shape, names), (values, _uploads) in sorted(forms.items()):
        user, target = values.pop("_as"), values.pop("_to")
        client.force_login(User.objects.get(username=user))
        for value in VALUES:
            # the visible fields malformed, the form's own hidden values kept; then everything
            for data in (
                {
                    **{n: value for n in names},
                    **{k: v for k, v in values.items() if k.startswith("_")},
                },
                dict.fromkeys(names, value),
            ):
                answer = client.post(target, data)
                posted += 1
                assert answer.status_code < 500, (target, data)
    assert posted >= 25 * len(VALUES) * 2
    print(f"fuzz: {posted} posts of malformed values to {len(forms)} forms, no server error")


SCAN_FILES = ("png bomb", "jpeg bomb", "pdf bomb", "not an xlsx", "empty")


def test_every_upload_refuses_malformed_files_without_a_server_error(client, busy):
    """Every form with a file field (the material upload, the acceptance, the payee change, the
    identity and hospital imports, the bank's return file, the roster's result file) gets every
    malformed file."""
    uploads = {k: v for k, v in every_form(client, busy).items() if v[1]}
    assert len(uploads) >= 4, sorted(uploads)
    corpus = files(["公民身份号码", "姓名", "申请编号", "金额（元）", "结果", "日期"])
    for values, fields in uploads.values():
        user, target = values.pop("_as"), values.pop("_to")
        client.force_login(User.objects.get(username=user))
        for what, (name, content) in corpus.items():
            data = {**values, **{f: SimpleUploadedFile(name, content) for f in fields}}
            answer = client.post(target, data, follow=True)
            assert answer.status_code < 500, (target, what)
            if what in SCAN_FILES and answer.status_code == 200:
                assert "Traceback" not in answer.content.decode()


@pytest.mark.parametrize("content", ["identities", "hospital"])
def test_every_file_kind_of_the_import_worker_refuses_a_file_it_cannot_read(world, content):
    """The worker reads the file after the upload: a file it cannot read ends the import as
    failed, with the reason; the worker never raises."""
    admin = world.users["admin"]
    header = (
        ["公民身份号码", "姓名", "困难身份类别", "认定日期", "终止日期", "居住乡镇"]
        if content == "identities"
        else ["公民身份号码", "姓名", "医疗机构", "医院等级", "费用类别", "医疗总费用",
              "政策范围内费用", "基本医保支付", "大病保险支付", "目录外费用"]
    )  # fmt: skip
    reasons = {}
    for what, (name, data) in files(header).items():
        if what in ("png bomb", "jpeg bomb", "pdf bomb"):
            continue
        batch = IdentityImport.objects.create(
            department="民政", content=content, original_name=name, uploaded_by=admin,
            file=SimpleUploadedFile(name, data),
        )  # fmt: skip
        identity_import_preview(batch=batch)
        batch.refresh_from_db()
        reasons[what] = (batch.status, batch.message)
    unreadable = {"csv field over 128 KB", "csv bad bytes after 64 KB", "xlsx without a worksheet",
                  "xlsx sheet cut in half", "not an xlsx", "empty"}  # fmt: skip
    # a file that cannot be read is refused as a file; one the reader gets through (a bare CR,
    # a NUL) is checked row by row
    assert {what: status for what, (status, _) in reasons.items()} == {
        what: "failed" if what in unreadable else "previewed" for what in reasons
    }, reasons
    assert reasons["csv field over 128 KB"][1] == (
        "第 2 行有一格内容超过 128 KB，不像是正常的表格，请检查文件。"
    )
    assert reasons["xlsx without a worksheet"][1] == "表格中没有工作表。"
    assert reasons["xlsx sheet cut in half"][1].startswith("表格第 ")
    assert reasons["csv bad bytes after 64 KB"][1].endswith(
        "含有无法识别的字符（请另存为 UTF-8 或 GB18030 编码的 CSV）。"
    )


# --- manage.py settle ---------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8)
    | st.sampled_from(["dibao", "inpatient", "2023-03-01", "60000.00", "1e5", "-0", "NaN"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)  # fmt: skip
GOOD_IDENTITY = {"category": "dibao", "certified_on": "2023-01-01", "ended_on": None}
GOOD_EXPENSE = {
    "id": "e1", "date": "2023-03-01", "kind": "inpatient", "total": "60000.00",
    "policy_scope": "50000.00", "basic_paid": "30000.00", "critical_paid": "5000.00",
    "in_region": True, "referred": True,
}  # fmt: skip
PARAMETERS = ["city_income", "rural_income", "intake.onestop_categories", "tilted.ratio",
              "assistance.cap.dibao", "subsidy.rule.dibao", "illness_poor.dibao_standard.urban",
              "intake.filing_months", "notice.days", "fund.enabled"]  # fmt: skip


def settle_exit(case: object) -> tuple[int, str]:
    """``manage.py settle -`` on ``case``, in this process: (exit code, standard error)."""
    import sys

    streams = sys.stdin, sys.stdout, sys.stderr
    stderr = io.StringIO()
    sys.stdin, sys.stdout, sys.stderr = (
        io.StringIO(json.dumps(case, ensure_ascii=False)),
        io.StringIO(),
        stderr,
    )
    try:
        call_command("settle", "-")
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.stdin, sys.stdout, sys.stderr = streams
    return code, stderr.getvalue()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    where=st.sampled_from(["identity", "expense", "parameter", "case"]),
    key=st.sampled_from(["category", "certified_on", "ended_on", "kind", "date", "total",
                         "basic_paid", "in_region", "id", *PARAMETERS, "policy", "identities"]),
    value=JSON,
)  # fmt: skip
def test_settle_answers_any_malformed_case_with_exit_2_and_one_line(db, where, key, value):
    identity, expense, parameters = dict(GOOD_IDENTITY), dict(GOOD_EXPENSE), {}
    case: dict[str, object] = {"policy": "hohhot-2023", "parameters": parameters,
                               "identities": [identity], "expenses": [expense]}  # fmt: skip
    {"identity": identity, "expense": expense, "parameter": parameters, "case": case}[where][
        key
    ] = value
    code, stderr = settle_exit(case)
    assert code in (0, 2), (case, stderr)
    if code == 2:
        assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr


@pytest.mark.parametrize(
    ("where", "key", "value"),
    [
        ("identity", "category", ["dibao"]),
        ("expense", "kind", {"a": 1}),
        ("parameter", "intake.onestop_categories", [[1]]),
    ],
)
def test_the_cases_that_exited_1_with_a_traceback(db, where, key, value):
    identity, expense, parameters = dict(GOOD_IDENTITY), dict(GOOD_EXPENSE), {}
    {"identity": identity, "expense": expense, "parameter": parameters}[where][key] = value
    code, stderr = settle_exit({"policy": "hohhot-2023", "parameters": parameters,
                                "identities": [identity], "expenses": [expense]})  # fmt: skip
    assert code == 2 and stderr.count("\n") == 1
