"""Every shipped parameter value has a true source (issue 36, point 2).

A value is a seed clause (quoted), a national regulation (named), a local setting (with who decided)
or a demo value. A seed value's clause must be one of the policy's clause texts, the text must be the
seed document's own words (``docs/seeds/``), the quote must be in it, and a number in the quote must
be the value. A source that names a clause of a document must name one the policy holds: citing
§四(三) for what it does not say is what this test was written against.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from engine import Basis, Kind
from settlements.policies import HERE, shipped, shipped_codes

ROOT = Path(__file__).resolve().parents[2]
SEEDS = "".join(
    re.sub(r"\s+", "", p.read_text(encoding="utf-8")) for p in (ROOT / "docs/seeds").glob("*.txt")
)
DOCUMENTS = ("呼和浩特实施方案", "东医保发〔2020〕56号", "金华长效机制实施方案")
CITED = re.compile(
    "("
    + "|".join(map(re.escape, DOCUMENTS))
    + r") ?([一二三四五六七八九十]+\([一二三四五六七八九十]+\)|\d+)"
)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def number_forms(kind: str, value: object) -> set[str]:
    """How a seed writes the value: 70% for a rate, 7000元 or 3万元 for an amount, 1.5 for a factor."""
    amount = Decimal(str(value))
    if kind == Kind.RATE:
        return {f"{(amount * 100).normalize():f}%", f"{(amount * 100).normalize():f}％"}
    if kind == Kind.AMOUNT:
        return {f"{amount.normalize():f}元", f"{(amount / 10000).normalize():f}万元"}
    return {f"{amount.normalize():f}"}


def problems(data: dict) -> list[str]:
    """What is wrong with the sources of a policy file's values (its JSON, as shipped)."""
    clauses = data.get("clauses", {})
    found = [f"{c}: not the seed's words" for c, t in clauses.items() if squeeze(t) not in SEEDS]
    for item in data["parameters"]:
        for value in item.get("values", []):
            where = f"{item['name']} ({value['from']})"
            basis = value.get("basis", "")
            if basis not in set(Basis):
                found.append(f"{where}: no basis")
            if basis == Basis.LOCAL and not value.get("by"):
                found.append(f"{where}: a local setting without who decided it")
            if basis == Basis.SEED and not value.get("clause"):
                found.append(f"{where}: a seed value without its clause")
            clause = value.get("clause")
            if clause and clause not in clauses:
                found.append(f"{where}: {clause} is not among the clause texts")
            elif clause:
                quote = squeeze(value.get("quote", ""))
                if not quote or quote not in squeeze(clauses[clause]):
                    found.append(f"{where}: the quote is not in {clause}")
                if basis == Basis.SEED and clause not in value["source"]:
                    found.append(f"{where}: the source does not name {clause}")
                numeric = item["kind"] in (Kind.RATE, Kind.AMOUNT, Kind.FACTOR)
                if basis == Basis.SEED and numeric and re.search(r"\d", quote):
                    forms = number_forms(item["kind"], value["value"])
                    if not any(f in quote for f in forms):
                        found.append(f"{where}: {sorted(forms)} is not in “{quote}”")
            for document, number in CITED.findall(value["source"]):
                if f"{document} {number}" not in clauses:
                    found.append(f"{where}: cites {document} {number}, not held")
    return found


def data_of(code: str) -> dict:
    return json.loads((HERE / f"{code}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("code", shipped_codes())
def test_every_value_has_a_basis_and_every_clause_is_the_documents_own(code):
    assert problems(data_of(code)) == []
    assert shipped(code).clauses  # the texts load with the policy, for its page


def test_the_check_catches_a_wrong_citation():
    data = data_of("hohhot-2023")
    by_name = {item["name"]: item for item in data["parameters"]}
    ratio = by_name["assistance.ratio.dibao"]["values"][0]
    ratio["value"] = "0.65"  # the clause says 70%
    promise = by_name["promise.decide_after_days"]["values"][0]
    promise["source"] = "呼和浩特实施方案 七(二)"  # a clause the policy does not hold
    cap = by_name["assistance.cap.other"]["values"][0]
    cap.pop("by")
    cap["basis"] = "seed"  # a seed value without a clause
    found = problems(data)
    assert any("assistance.ratio.dibao" in f and "65%" in f for f in found)
    assert any("promise.decide_after_days" in f and "七(二)" in f for f in found)
    assert any("assistance.cap.other" in f and "without its clause" in f for f in found)
    assert len(found) == 3


@pytest.mark.parametrize("code", shipped_codes())
def test_a_value_cited_to_a_clause_says_what_the_clause_says(code):
    """The citations issue 36 found wrong stay mended."""
    policy = shipped(code)
    for name, definition in policy.parameters.items():
        for value in definition.values:
            if (
                name == "assistance.cap.other"
                or name.startswith("promise.")
                or name.startswith("notice.")
            ):
                assert value.basis == Basis.LOCAL, f"{code} {name}"
            if name.startswith("targets."):
                assert value.basis == Basis.LOCAL and "金华" in value.source, f"{code} {name}"
            if ".outpatient." in name or ".chronic_outpatient." in name:
                assert value.basis == Basis.LOCAL and not value.clause, f"{code} {name}"
