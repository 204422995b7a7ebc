"""Policies as data with effective dates (the pattern of OpenFisca's parameters).

A policy is a set of named parameters. Each parameter has a kind (amount, rate, switch, brackets,
categories, counts of days or months, a factor, amounts per county) and a history of values, each valid *from* a date and carrying its source clause.
``Policy.at(day)`` gives the values in force on a day. New versions (the administrator's
amendments) add values from a date; they never rewrite the past.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from .categories import CATEGORIES
from .errors import MissingParameter, SettlementInputError, UnknownParameter
from .money import parse_amount, parse_rate, percent, yuan


class Kind(StrEnum):
    AMOUNT = "amount"  # yuan; may be null ("不设上限") where the parameter is nullable
    RATE = "rate"  # 0..1
    SWITCH = "switch"  # on / off
    BRACKETS = "brackets"  # ((start, rate), ...) ascending
    CATEGORIES = "categories"  # a set of category codes
    COUNT = "count"  # a whole number (of working days)
    MONTHS = "months"  # a whole number of calendar months; may be null ("不限") where nullable
    FACTOR = "factor"  # a positive multiple, such as 1.5 (倍)
    COUNTY_AMOUNTS = "county_amounts"  # yuan per county: {6-digit county code: amount}
    SUBSIDY = "subsidy"  # a participation-subsidy rule: full, fixed (amount), share (rate, floor)


@dataclass(frozen=True, slots=True)
class Bracket:
    start: Decimal
    rate: Decimal


@dataclass(frozen=True, slots=True)
class SubsidyRule:
    """How a hardship category's residents' insurance contribution is subsidised (分类资助参保):
    ``full`` (全额), ``fixed`` (定额 ``amount``; None: the policy's floor share of the contribution),
    ``share`` (``rate`` of the contribution, at least ``floor`` yuan) or ``none``."""

    kind: str
    amount: Decimal | None = None
    rate: Decimal | None = None
    floor: Decimal | None = None

    KINDS = {"full": "全额", "fixed": "定额", "share": "比例", "none": "不资助"}

    @classmethod
    def parse(cls, raw: Any, what: str) -> SubsidyRule:
        """From JSON ({"kind": "fixed", "amount": "140.00"}) or as the administrator types it:
        “全额”, “定额 140.00”, “定额”（按下限）, “比例 50% 至少 100.00”, “不资助”."""
        hint = f"{what}应为“全额”“定额 140.00”“定额”“比例 50%（可加“至少 100.00”）”或“不资助”"
        if isinstance(raw, Mapping):
            kind = str(raw.get("kind", ""))
            amount, rate, floor = raw.get("amount"), raw.get("rate"), raw.get("floor")
        else:
            words = str(raw).replace("至少", " 至少 ").split()
            names = {v: k for k, v in cls.KINDS.items()}
            if not words or words[0] not in names:
                raise ValueError(f"{hint}，收到 {raw!r}")
            kind = names[words[0]]
            amount = words[1] if kind == "fixed" and len(words) > 1 else None
            rate = words[1] if kind == "share" and len(words) > 1 else None
            floor = words[3] if kind == "share" and len(words) > 3 and words[2] == "至少" else None
            expected = {"full": 1, "none": 1, "fixed": (1, 2), "share": (2, 4)}[kind]
            if len(words) not in (expected if isinstance(expected, tuple) else (expected,)):
                raise ValueError(f"{hint}，收到 {raw!r}")
        if kind not in cls.KINDS:
            raise ValueError(f"{hint}，收到 {raw!r}")
        if kind == "share" and rate is None:
            raise ValueError(f"{what}按比例资助须写明比例，如“比例 50%”")
        return cls(
            kind,
            parse_amount(amount, what) if amount is not None else None,
            parse_rate(rate, what) if rate is not None else None,
            parse_amount(floor, what) if floor is not None else None,
        )

    def display(self) -> str:
        if self.kind == "full":
            return "全额资助"
        if self.kind == "fixed":
            return f"定额 {yuan(self.amount)} 元" if self.amount is not None else "定额（按下限）"
        if self.kind == "share":
            floor = f"，至少 {yuan(self.floor)} 元" if self.floor is not None else ""
            return f"个人缴费的 {percent(self.rate)}{floor}"  # type: ignore[arg-type]
        return "不资助"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for name in ("amount", "rate", "floor"):
            value = getattr(self, name)
            if value is not None:
                out[name] = str(value)
        return out


class Basis(StrEnum):
    """Where a parameter's value comes from (依据类别)."""

    SEED = "seed"  # a clause of the city's policy document, quoted
    NATIONAL = "national"  # a named national regulation
    LOCAL = "local"  # a local setting (本地设定) where the documents are silent, with who decided
    DEMO = "demo"  # a demonstration value, never for real money

    @property
    def label(self) -> str:
        return BASIS_LABELS[self]


BASIS_LABELS = {
    Basis.SEED: "政策条款",
    Basis.NATIONAL: "国家法规",
    Basis.LOCAL: "本地设定",
    Basis.DEMO: "演示数据",
}


@dataclass(frozen=True, slots=True)
class DatedValue:
    """A parameter's value from ``start``: its source text, its basis (``Basis``), who decided a
    local setting (``by``) and the clause a seed value quotes (``clause``, a key of the policy's
    ``clauses``)."""

    start: date
    value: Any
    source: str
    version: int = 1
    basis: str = Basis.LOCAL
    by: str = ""
    clause: str = ""

    @property
    def basis_label(self) -> str:
        return BASIS_LABELS.get(Basis(self.basis), self.basis) if self.basis else ""


@dataclass(frozen=True, slots=True)
class ParameterDef:
    name: str
    label: str
    kind: Kind
    section: str
    nullable: bool = False
    note: str = ""
    values: tuple[DatedValue, ...] = ()

    def parse(self, raw: Any) -> Any:
        """Turn a JSON value into the parameter's Python value, or raise ValueError in Chinese
        (a value of the wrong shape, a list where a word belongs, too: never a TypeError)."""
        what = f"参数 {self.name}（{self.label}）"
        try:
            return self._parse(raw, what)
        except (TypeError, AttributeError, KeyError):
            raise ValueError(f"{what}的格式不对，收到 {raw!r}") from None

    def _parse(self, raw: Any, what: str) -> Any:
        if raw is None:
            if self.nullable:
                return None
            raise ValueError(f"{what}不能为空")
        if self.kind is Kind.AMOUNT:
            return parse_amount(raw, what)
        if self.kind is Kind.RATE:
            return parse_rate(raw, what)
        if self.kind is Kind.SWITCH:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in {"true", "1", "on", "是", "开", "启用"}:
                return True
            if text in {"false", "0", "off", "否", "关", "停用"}:
                return False
            raise ValueError(f"{what}应为 true 或 false，收到 {raw!r}")
        if self.kind is Kind.BRACKETS:
            if not isinstance(raw, list | tuple) or not raw:
                raise ValueError(f"{what}应为 [[起点金额, 比例], …] 的列表")
            brackets = []
            for item in raw:
                if not isinstance(item, list | tuple) or len(item) != 2:
                    raise ValueError(f"{what}的每一档应为 [起点金额, 比例]，收到 {item!r}")
                brackets.append(Bracket(parse_amount(item[0], what), parse_rate(item[1], what)))
            starts = [b.start for b in brackets]
            if starts != sorted(starts) or len(set(starts)) != len(starts):
                raise ValueError(f"{what}各档起点必须从小到大且不重复")
            return tuple(brackets)
        if self.kind in (Kind.COUNT, Kind.MONTHS):
            if isinstance(raw, bool) or not re.fullmatch(r"[0-9]{1,4}", str(raw).strip(), re.ASCII):
                raise ValueError(f"{what}应为不小于 0 的整数，收到 {raw!r}")
            return int(str(raw).strip())
        if self.kind is Kind.FACTOR:
            value = parse_amount(raw, what)
            if value <= 0 or value > 100:
                raise ValueError(f"{what}应为大于 0 的倍数（如 1.5），收到 {raw!r}")
            return value
        if self.kind is Kind.SUBSIDY:
            return SubsidyRule.parse(raw, what)
        if self.kind is Kind.COUNTY_AMOUNTS:
            if not isinstance(raw, Mapping):
                raise ValueError(f'{what}应为 {{旗县区代码: 金额}}，如 {{"150102": "10800.00"}}')
            amounts = {}
            for code, amount in raw.items():
                if not re.fullmatch(r"[0-9]{6}", str(code), re.ASCII):
                    raise ValueError(f"{what}的旗县区代码应为 6 位数字，收到 {code!r}")
                amounts[str(code)] = parse_amount(amount, f"{what}（{code}）")
            return MappingProxyType(dict(sorted(amounts.items())))
        if self.kind is Kind.CATEGORIES:
            if not isinstance(raw, list | tuple):
                raise ValueError(f"{what}应为身份类别代码的列表")
            unknown = [c for c in raw if not isinstance(c, str) or c not in CATEGORIES]
            if unknown:
                raise ValueError(f"{what}含未知身份类别：{', '.join(map(str, unknown))}")
            return frozenset(raw)
        raise ValueError(f"{what}的类型未知：{self.kind}")  # pragma: no cover

    def display(self, value: Any) -> str:
        """The value as the policy page shows it."""
        if value is None:
            if self.nullable:
                return "不限" if self.kind is Kind.MONTHS else "不设上限"
            return "未设置"
        if self.kind is Kind.AMOUNT:
            return f"{yuan(value)} 元"
        if self.kind is Kind.RATE:
            return percent(value)
        if self.kind is Kind.SWITCH:
            return "启用" if value else "不启用"
        if self.kind is Kind.BRACKETS:
            return "；".join(f"{yuan(b.start)} 元起 {percent(b.rate)}" for b in value)
        if self.kind is Kind.CATEGORIES:
            return "、".join(CATEGORIES[c][1] for c in CATEGORIES if c in value) or "无"
        if self.kind is Kind.COUNT:
            return f"{value} 个工作日"
        if self.kind is Kind.MONTHS:
            return f"{value} 个月"
        if self.kind is Kind.FACTOR:
            return f"{value.normalize():f} 倍"
        if self.kind is Kind.COUNTY_AMOUNTS:
            return "；".join(f"{code}：{yuan(v)} 元" for code, v in value.items()) or "未设置"
        if self.kind is Kind.SUBSIDY:
            return value.display()
        return str(value)  # pragma: no cover

    def to_json(self, value: Any) -> Any:
        """The value as it is stored in JSON (the inverse of ``parse``)."""
        if value is None or self.kind in (Kind.SWITCH, Kind.COUNT, Kind.MONTHS):
            return value
        if self.kind in (Kind.AMOUNT, Kind.RATE, Kind.FACTOR):
            return str(value)
        if self.kind is Kind.COUNTY_AMOUNTS:
            return {code: str(v) for code, v in value.items()}
        if self.kind is Kind.SUBSIDY:
            return value.to_json()
        if self.kind is Kind.BRACKETS:
            return [[str(b.start), str(b.rate)] for b in value]
        if self.kind is Kind.CATEGORIES:
            return [c for c in CATEGORIES if c in value]
        return value  # pragma: no cover


@dataclass(frozen=True, slots=True)
class Layers:
    """Which layers a policy has and how it gets the insurance amounts.

    ``basic`` / ``critical``: ``"given"`` (taken from the settlement slip, required) or
    ``"computed"`` (computed when the slip's amount is absent).
    """

    basic: str = "given"
    critical: str = "given"
    assistance: bool = True
    tilted: bool = True
    fund: bool = False


class Params(dict[str, Any]):
    """The values of a policy's parameters in force during one period: a dict, for speed.

    A name the policy does not define, or one without a value in the period, is refused with a
    message saying which."""

    __slots__ = ("dated", "definitions", "derived", "policy_code", "sources")

    def __init__(
        self,
        policy_code: str,
        definitions: Mapping[str, ParameterDef],
        values: dict[str, Any],
        sources: dict[str, str],
        dated: dict[str, DatedValue] | None = None,
    ) -> None:
        super().__init__(values)
        self.policy_code = policy_code
        self.definitions = definitions
        self.sources = sources
        self.dated = dated or {}  # each value as the policy holds it (its basis, who decided)
        # what the engine works out from these values once per period, not once per expense
        self.derived: dict[object, Any] = {}

    def __missing__(self, name: str) -> Any:
        definition = self.definitions.get(name)
        if definition is None:
            raise UnknownParameter(f"政策 {self.policy_code} 没有参数 {name}")
        raise MissingParameter(
            f"政策 {self.policy_code} 的参数 {name}（{definition.label}）没有取值："
            f"请在 parameters 中给出，或由管理员在政策页面设置"
        )

    def source(self, name: str) -> str:
        return self.sources.get(name, "")

    def basis(self, name: str) -> str:
        """The value's basis (``Basis``), or "" when it has none."""
        dated = self.dated.get(name)
        return dated.basis if dated is not None else ""

    def has(self, name: str) -> bool:
        return name in self

    def as_dict(self) -> dict[str, Any]:
        return dict(self)


@dataclass(frozen=True)
class Policy:
    code: str
    title: str
    document: str
    starts_on: date
    layers: Layers
    parameters: Mapping[str, ParameterDef]
    version: int = 1
    summary: str = ""
    # the policy documents' clauses its values cite, as the documents word them
    clauses: Mapping[str, str] = field(default_factory=dict, compare=False)
    _periods: tuple[date, ...] = field(default=(), repr=False, compare=False)
    _cache: dict[int, Params] = field(default_factory=dict, repr=False, compare=False)
    # the parameters with a value that is on (true, non-zero) on some day: ``ever_on`` answers a
    # switch that never is at once, as it is asked on every ``settle`` call
    _ever_on: frozenset[str] = field(default=frozenset(), repr=False, compare=False)
    _categories: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    @property
    def categories(self) -> frozenset[str]:
        """The hardship categories this policy has rules for: with an assistance layer, those with
        an assistance ratio; without one (insurance only), every category, for its lists."""
        return self._categories

    def __post_init__(self) -> None:
        if self.layers.assistance:
            known = frozenset(c for c in CATEGORIES if f"assistance.ratio.{c}" in self.parameters)
        else:
            known = frozenset(CATEGORIES)
        object.__setattr__(self, "_categories", known)
        starts = sorted({v.start for p in self.parameters.values() for v in p.values})
        object.__setattr__(self, "_periods", tuple(starts))
        on = frozenset(n for n, p in self.parameters.items() if any(v.value for v in p.values))
        object.__setattr__(self, "_ever_on", on)

    @property
    def periods(self) -> tuple[date, ...]:
        """The days on which some parameter takes a new value, ascending."""
        return self._periods

    def at(self, day: date) -> Params:
        """The parameter values in force on ``day`` (cached per period between value changes)."""
        index = bisect_right(self._periods, day)
        params = self._cache.get(index)
        if params is None:
            values: dict[str, Any] = {}
            sources: dict[str, str] = {}
            dated_values: dict[str, DatedValue] = {}
            for name, definition in self.parameters.items():
                current = None
                for dated in definition.values:  # ascending by start, later versions last
                    if dated.start <= day:
                        current = dated
                if current is not None:
                    values[name] = current.value
                    sources[name] = current.source
                    dated_values[name] = current
            params = Params(self.code, self.parameters, values, sources, dated_values)
            self._cache[index] = params
        return params

    def ever_on(self, name: str, first: date, last: date) -> bool:
        """Whether the switch ``name`` is on on any day from ``first`` to ``last``."""
        if name not in self._ever_on:  # never on (or no such parameter)
            return False
        values = self.parameters[name].values
        for n, dated in enumerate(values):
            ends_after_first = n + 1 == len(values) or values[n + 1].start > first
            if dated.start <= last and ends_after_first and dated.value:
                return True
        return False

    def parse_values(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Check named values against the parameters; unknown names and bad values are refused."""
        parsed = {}
        for name, value in raw.items():
            definition = self.parameters.get(name)
            if definition is None:
                known = "、".join(sorted(self.parameters))
                raise UnknownParameter(f"政策 {self.code} 没有参数 {name}（可用参数：{known}）")
            try:
                parsed[name] = definition.parse(value)
            except ValueError as exc:
                raise SettlementInputError(str(exc)) from None
        return parsed

    def amended(
        self,
        *,
        start: date,
        values: Mapping[str, Any],
        source: str,
        version: int,
        basis: str = Basis.LOCAL,
        by: str = "",
    ) -> Policy:
        """This policy with ``values`` (already parsed) in force from ``start``: a new version."""
        parameters = dict(self.parameters)
        for name, value in values.items():
            definition = parameters[name]
            dated = DatedValue(start, value, source, version, basis, by)
            ordered = sorted([*definition.values, dated], key=lambda v: (v.start, v.version))
            parameters[name] = replace(definition, values=tuple(ordered))
        return replace(self, parameters=parameters, version=version, _cache={})

    def with_overrides(self, raw: Mapping[str, Any]) -> Policy:
        """This policy with ``raw`` values in force on every day (a trial calculation's own figures)."""
        parsed = self.parse_values(raw)
        parameters = dict(self.parameters)
        for name, value in parsed.items():
            parameters[name] = replace(
                parameters[name],
                values=(DatedValue(date.min, value, "本次计算给定", self.version, Basis.DEMO),),
            )
        return replace(self, parameters=parameters, _cache={})


def policy_from_data(data: Mapping[str, Any]) -> Policy:
    """Build a policy from its JSON description (``settlements/policies/<code>.json``)."""
    layers = Layers(**data.get("layers", {}))
    definitions: dict[str, ParameterDef] = {}
    for item in data["parameters"]:
        definition = ParameterDef(
            name=item["name"],
            label=item["label"],
            kind=Kind(item["kind"]),
            section=item.get("section", ""),
            nullable=item.get("nullable", False),
            note=item.get("note", ""),
        )
        values = tuple(
            DatedValue(
                date.fromisoformat(v["from"]),
                definition.parse(v["value"]),
                v.get("source", ""),
                basis=Basis(v.get("basis", Basis.LOCAL)),
                by=v.get("by", ""),
                clause=v.get("clause", ""),
            )
            for v in item.get("values", [])
        )
        definitions[definition.name] = replace(
            definition, values=tuple(sorted(values, key=lambda v: v.start))
        )
    return Policy(
        code=data["code"],
        title=data["title"],
        document=data.get("document", ""),
        summary=data.get("summary", ""),
        starts_on=date.fromisoformat(data["starts_on"]),
        layers=layers,
        parameters=definitions,
        clauses=MappingProxyType(dict(data.get("clauses", {}))),
    )


def sections(policy: Policy) -> list[tuple[str, list[ParameterDef]]]:
    """The parameters grouped by section, in file order, for the policy page."""
    grouped: dict[str, list[ParameterDef]] = {}
    for definition in policy.parameters.values():
        grouped.setdefault(definition.section, []).append(definition)
    return list(grouped.items())
