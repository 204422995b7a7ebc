"""重度残疾人 as seed 003 二(二) counts them (issue 36, point 6).

Dongying's 贫困人口 for critical-illness insurance are 建档立卡贫困人口、低保对象、特困人员、重度残疾人;
the mapping once added 孤儿 and left 重度残疾人 out. The registry gains the category (certified by
残联); Hohhot's plan has no rules for it, so there it is not a ground for medical assistance.
"""

from __future__ import annotations

from datetime import date

from engine.categories import category_from_text
from settlements.policies import shipped
from tests.settlements.test_engine import exp, ident, run
from tests.settlements.test_engine_dongying import dongying, dy


def test_dongying_counts_the_severely_disabled_as_poor_and_not_orphans():
    disabled = dongying([ident("severe_disabled", "2020-01-01")], dy("a"))["expenses"][0]
    # the poor schedule: (60,000 − 5,000) × 65% = 35,750.00
    assert (disabled["identity"], disabled["critical"]) == ("severe_disabled", "35750.00")
    orphan = dongying([ident("orphan", "2020-01-01")], dy("a"))["expenses"][0]
    # the ordinary schedule: (60,000 − 16,000) × 60% = 26,400.00
    assert orphan["critical"] == "26400.00"
    categories = shipped("dongying-2020").at(date(2020, 1, 1))["critical.poor_categories"]
    assert categories == {"tekun", "dibao", "returned_poor", "rural_at_risk", "severe_disabled"}


def test_hohhot_has_no_rules_for_them_so_they_are_not_a_ground_for_assistance():
    row = run([ident("severe_disabled")], [exp("a")])["expenses"][0]
    assert (row["identity"], row["assistance"], row["tilted"]) == (None, "0.00", "0.00")
    assert any("无有效困难身份" in line for line in row["lines"])
    # held with 低保, the 低保 rules apply as before: (15,000 × 70%) = 10,500.00
    both = run([ident("severe_disabled"), ident("dibao")], [exp("a")])["expenses"][0]
    assert (both["identity"], both["assistance"]) == ("dibao", "10500.00")
    assert "severe_disabled" not in shipped("hohhot-2023").categories


def test_the_departments_word_for_it_and_who_certifies_it():
    assert category_from_text("重度残疾人") == "severe_disabled"


def test_the_intake_does_not_offer_a_category_the_city_has_no_rules_for(db):
    from datetime import date as day

    from applications.forms import IntakeForm

    form = IntakeForm(
        identities=[], today=day(2026, 3, 1), favourite=None,
        assisted=shipped("hohhot-2023").categories,
    )  # fmt: skip
    offered = [value for value, _label in form.fields["identity_choice"].choices]
    assert "cat:dibao" in offered and "cat:severe_disabled" not in offered
    everything = IntakeForm(identities=[], today=day(2026, 3, 1), favourite=None)
    assert "cat:severe_disabled" in [v for v, _l in everything.fields["identity_choice"].choices]
