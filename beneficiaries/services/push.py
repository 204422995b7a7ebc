"""The departments' push endpoint: their tokens, and records pushed kept as an import."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from accounts.models import User
from audit.events import Event
from audit.services import record
from core.keys import digest_of, new_key

from .. import importing
from ..models import (
    DepartmentToken,
    IdentityImport,
    IdentitySource,
    ImportRow,
)
from .jobs import COUNTS, _move, _tally

# --- the push endpoint ----------------------------------------------------------------------

MAX_PUSH = 1000


def department_token_create(
    *, department: str, label: str, actor: User | None
) -> tuple[DepartmentToken, str]:
    """Make a key for a department's system. The key is returned once; only its hash is kept."""
    made = new_key()
    token = DepartmentToken.objects.create(
        department=department, label=label, key_prefix=made.prefix, key_hash=made.digest
    )
    record(
        actor=actor,
        event=Event.TOKEN_CREATED,
        target=token,
        summary=f"创建部门推送密钥 {label}",
    )
    return token, made.key


def department_token_for(key: str) -> DepartmentToken | None:
    if not key:
        return None
    return DepartmentToken.objects.filter(key_hash=digest_of(key), active=True).first()


def identity_push(
    *, token: DepartmentToken, records: list[dict[str, Any]]
) -> tuple[IdentityImport, list[importing.Outcome]]:
    """Apply records pushed by a department's system; answer per record. Kept as an import."""
    batch = IdentityImport.objects.create(
        kind=IdentityImport.Kind.API,
        department=token.department,
        token=token,
        status=IdentityImport.Status.APPLYING,
        total_rows=len(records),
        original_name=f"{token.label} 推送",
    )
    rows = ((n, r if isinstance(r, dict) else {}) for n, r in enumerate(records, start=1))
    outcomes = list(
        importing.process(
            rows,
            batch=batch,
            department=token.department,
            only_department=token.department,
            source=IdentitySource.API,
            today=timezone.localdate(),
            dry_run=False,
        )
    )
    ImportRow.objects.bulk_create(_tally(batch, outcomes, keep_changes=True))
    counts: dict[str, Any] = {name: getattr(batch, name) for name in COUNTS}
    _move(
        batch,
        IdentityImport.Status.APPLIED,
        applied_at=timezone.now(),
        **{**counts, "processed_rows": len(records)},
    )
    DepartmentToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    record(
        actor=None,
        event=Event.PUSH_RECEIVED,
        target=batch,
        username=f"token:{token.key_prefix}",
        summary=f"{token.label} 推送 {len(records)} 条：有误 {batch.bad_rows} 条",
    )
    return batch, outcomes
