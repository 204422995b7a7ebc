"""Readiness before money moves (启用前检查): which parameters a policy's rules need for a year and
a city's counties are unset, missing for a county, or still a demo value. Reads only.

The rules themselves refuse to compute without a value, naming it (the engine's MissingParameter,
the roster's and the monitoring lines' messages); this page lists every such gap at once, so the
administrator fills them before the first approval rather than at it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from engine import Basis, Kind, Policy, sections

DEMO_MARK = "演示数据"  # the words demo values carried in their source before they had a basis


@dataclass(frozen=True)
class Gap:
    name: str
    label: str
    section: str
    problem: str


def readiness(policy: Policy, year: int, counties: Sequence[tuple[str, str]]) -> list[Gap]:
    """Every parameter without a value in force on ``year``'s first day (or the policy's first day),
    every county (code, name) a per-county parameter leaves out, and every demo value. A nullable
    parameter left empty is an answer (不限、不设上限), not a gap."""
    on = max(date(year, 1, 1), policy.starts_on)
    params = policy.at(on)
    gaps = []
    for section, definitions in sections(policy):
        for d in definitions:
            if not params.has(d.name):
                if not d.nullable:
                    gaps.append(Gap(d.name, d.label, section, f"{on:%Y-%m-%d} 起没有适用的值"))
                continue
            problems = []
            if d.kind is Kind.COUNTY_AMOUNTS:
                missing = [name for code, name in counties if code not in params[d.name]]
                if missing:
                    problems.append("缺少：" + "、".join(missing))
            if params.basis(d.name) == Basis.DEMO or DEMO_MARK in params.source(d.name):
                problems.append(f"仍是演示数据（依据一栏写的是“{params.source(d.name)}”）")
            if problems:
                gaps.append(Gap(d.name, d.label, section, "；".join(problems)))
    return gaps


@dataclass(frozen=True)
class Default:
    name: str
    label: str
    section: str
    shown: str
    source: str


def shipped_defaults(policy: Policy, year: int) -> list[Default]:
    """The local settings (本地设定) in force on ``year``'s first day that are still the values the
    portal shipped with: the documents leave them open, so the city confirms them or sets its own.
    Not a gap (the rules compute with them); listed so that nobody mistakes them for the seed's."""
    on = max(date(year, 1, 1), policy.starts_on)
    params = policy.at(on)
    out = []
    for section, definitions in sections(policy):
        for d in definitions:
            dated = params.dated.get(d.name)
            if dated is not None and dated.version == 1 and dated.basis == Basis.LOCAL:
                out.append(Default(d.name, d.label, section, d.display(dated.value), dated.source))
    return out
