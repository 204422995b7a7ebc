"""The settlement engine: pure Python, no Django, no database.

Frozen dataclasses in (a policy, a person's identities, the year's expenses, the ledger so far), a
``Result`` out with one explanation line per step. ``settlements.services`` loads the data, runs it
and stores the result; ``manage.py settle`` runs it on a JSON case.
"""

from .calculate import settle
from .case import Case, parse_case, result_json
from .errors import (
    MissingAmount,
    MissingParameter,
    SettlementInputError,
    UnknownParameter,
    UnknownPolicy,
)
from .model import (
    KINDS,
    PAID_PARTS,
    Expense,
    ExpenseResult,
    IdentityPeriod,
    Inputs,
    Result,
    YearState,
    paid_by_assistance,
)
from .policy import (
    BASIS_LABELS,
    Basis,
    Kind,
    Layers,
    ParameterDef,
    Policy,
    policy_from_data,
    sections,
)

__all__ = [
    "BASIS_LABELS",
    "KINDS",
    "PAID_PARTS",
    "Basis",
    "Case",
    "Expense",
    "ExpenseResult",
    "IdentityPeriod",
    "Inputs",
    "Kind",
    "Layers",
    "MissingAmount",
    "MissingParameter",
    "ParameterDef",
    "Policy",
    "Result",
    "SettlementInputError",
    "UnknownParameter",
    "UnknownPolicy",
    "YearState",
    "paid_by_assistance",
    "parse_case",
    "policy_from_data",
    "result_json",
    "sections",
    "settle",
]
