"""One way to write amounts and dates (issue 18), and the portal's own Chinese form messages."""

from __future__ import annotations

import gettext
import re
import subprocess
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django import forms
from django.template import engines
from django.utils import translation

from core.formats import cell, day, moment, yuan

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_amounts_and_dates_are_written_one_way():
    assert yuan(Decimal("3250")) == "3,250.00"
    assert yuan(Decimal("-0.001")) == "0.00"  # never -0.00
    assert yuan("1234567.5") == "1,234,567.50"
    assert yuan(None) == "" and yuan("abc") == "abc"
    assert day(date(2026, 11, 5)) == "2026-11-05"
    shanghai = datetime(2026, 11, 27, 17, 30, tzinfo=ZoneInfo("UTC"))
    assert day(shanghai) == "2026-11-28" and moment(shanghai) == "2026-11-28 01:30"
    assert cell(None) == "—" and cell(Decimal("5000")) == "5,000.00" and cell(3) == "3"
    # Django's own date output (a bare {{ date }}) says the same
    page = engines["django"].from_string("{{ d }}|{{ t }}|{{ a|yuan }}")
    assert page.render({"d": date(2026, 11, 5), "t": shanghai, "a": 4000}) == (
        "2026-11-05|2026-11-28 01:30|4,000.00"
    )


def test_no_template_writes_a_partial_date_or_a_grouped_amount_into_an_input():
    """``m-d`` dates (“11-01 至 2026-11-15”) and ``n月j日`` are gone; an input's value is never a
    grouped amount (a clerk who submits the form again would be refused for the comma)."""
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r'\|date:"(m-d|n月j日|Y年n月j日)', text), path
        assert not re.search(r'value="\{\{[^}]*\|yuan', text), path


def test_the_compiled_catalogue_matches_its_source(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(compiled), str(CATALOGUE / "django.po")], check=True)
    with compiled.open("rb") as fresh, (CATALOGUE / "django.mo").open("rb") as kept:
        assert gettext.GNUTranslations(fresh)._catalog == gettext.GNUTranslations(kept)._catalog  # type: ignore[attr-defined]


class Sample(forms.Form):
    name = forms.CharField(max_length=5)
    amount = forms.DecimalField(max_digits=8, decimal_places=2)
    on = forms.DateField()
    kind = forms.ChoiceField(choices=[("a", "甲")])
    count = forms.IntegerField(min_value=1)


def test_django_form_messages_are_the_portals_own_chinese():
    with translation.override("zh-hans"):
        form = Sample({"name": "乌兰其其格巴特尔", "amount": "12.345", "on": "2026-02-30",
                       "kind": "b", "count": "0"})  # fmt: skip
        assert not form.is_valid()
        said = {k: v[0] for k, v in form.errors.items()}
        assert said == {
            "name": "最多填写 5 个字（现在 8 个），请精简。",
            "amount": "最多保留 2 位小数（金额精确到分，如 1200.50）。",
            "on": "日期不对：请按“2026-11-15”的格式填写，并核对这一天确实存在。",
            "kind": "“b”不在可选范围内，请从列表中选择。",
            "count": "不能小于 1。",
        }
        assert Sample({}).errors["name"] == ["此项必填。"]
