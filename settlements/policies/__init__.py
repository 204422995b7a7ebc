"""The policies that ship with the portal, and the administrator's versions on top of them.

Each ``<code>.json`` beside this file is version 1 of a policy, built from the seed documents.
An administrator adds later versions (values from a date) in the portal; they are stored as
``PolicyVersion`` rows and laid over the file in order. A decision stores the version it used.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from engine import Policy, UnknownPolicy, policy_from_data

HERE = Path(__file__).resolve().parent


@cache
def shipped_codes() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in HERE.glob("*.json")))


@cache
def shipped(code: str) -> Policy:
    """Version 1 of a policy, as shipped (no database)."""
    if code not in shipped_codes():
        raise UnknownPolicy(f"未知政策 {code}（可用：{', '.join(shipped_codes())}）")
    with (HERE / f"{code}.json").open(encoding="utf-8") as handle:
        return policy_from_data(json.load(handle))


def load(code: str, *, version: int | None = None) -> Policy:
    """The policy with the administrator's versions up to ``version`` (all when None).

    Where the database has no table yet (a fresh checkout running ``manage.py settle`` before
    ``migrate``), no version can exist, and the shipped policy is the whole of it.
    """
    from django.db import DatabaseError

    from core.memo import remembered
    from settlements.models import PolicyVersion

    policy = shipped(code)
    try:  # every version, once per reading page (core.memo), however many parts show the policy
        versions = remembered(
            ("policy_versions", code),
            lambda: list(PolicyVersion.objects.filter(policy_code=code).order_by("number")),
        )
    except DatabaseError:
        return policy
    if version is not None:
        versions = [row for row in versions if row.number <= version]
    for row in versions:
        policy = policy.amended(
            start=row.effective_from,
            values=policy.parse_values(row.values),
            source=row.source,
            version=row.number,
            basis=row.basis,
            by=row.decided_by,
        )
    if version is not None and version > policy.version:
        raise UnknownPolicy(f"政策 {code} 没有第 {version} 版")
    return policy
