"""Rows written before searches were sealed lose the full ID numbers they kept in clear.

Searches went by GET until core.sealed_query, so ``/people/?q=150121195208171080`` went into
``path``, and the append-only trigger kept it there. This migration lifts that guard inside its own
transaction only (PostgreSQL: the trigger disabled and enabled again, DDL being transactional;
SQLite: the UPDATE trigger dropped and made again), masks the identifiers of every row that has one
the way every log line is masked (core.logmask: ``1501**********1080``; in the address, long runs
of digits such as account numbers too), and appends one row saying what it masked.
"""

import json

from django.db import migrations
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from core.logmask import ID_NUMBER, mask_text

RUN = r"[0-9]{12}"  # the shortest run core.logmask masks (an account number)
TEXT_COLUMNS = ("summary", "target_repr", "user_agent")
PG_TRIGGER = "audit_auditevent_append_only"
SQLITE_TRIGGER = "audit_auditevent_no_update"
SQLITE_TRIGGER_SQL = """
CREATE TRIGGER audit_auditevent_no_update
BEFORE UPDATE ON audit_auditevent
BEGIN
    SELECT RAISE(ABORT, 'audit_auditevent is append-only (UPDATE refused)');
END;
"""


def mask_ids(text):
    return ID_NUMBER.sub(lambda m: f"{m.group(1)}{'*' * 10}{m.group(2)}", text)


def masked_row(row):
    """The columns of ``row`` that change, masked."""
    out = {}
    if row.path and mask_text(row.path) != row.path:
        out["path"] = mask_text(row.path)
    for name in TEXT_COLUMNS:
        value = getattr(row, name)
        if value and mask_ids(value) != value:
            out[name] = mask_ids(value)
    if row.changes:
        text = json.dumps(row.changes, ensure_ascii=False)
        if mask_ids(text) != text:
            out["changes"] = json.loads(mask_ids(text))
    return out


def forwards(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    vendor = schema_editor.connection.vendor
    suspects = (
        AuditEvent.objects.annotate(changes_text=Cast("changes", TextField()))
        .filter(
            Q(path__regex=RUN)
            | Q(summary__regex=RUN)
            | Q(target_repr__regex=RUN)
            | Q(user_agent__regex=RUN)
            | Q(changes_text__regex=RUN)
        )
        .only("id", "path", "changes", *TEXT_COLUMNS)
    )
    fixes = {}
    for row in suspects.iterator(chunk_size=2000):
        masked = masked_row(row)
        if masked:
            fixes[row.pk] = masked
    if not fixes:
        return
    if vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {PG_TRIGGER}")
    elif vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {SQLITE_TRIGGER}")
    counts = dict.fromkeys(("path", *TEXT_COLUMNS, "changes"), 0)
    for pk, masked in fixes.items():
        AuditEvent.objects.filter(pk=pk).update(**masked)
        for name in masked:
            counts[name] += 1
    if vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {PG_TRIGGER}")
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER_SQL)
    labels = {"path": "页面地址", "summary": "说明", "target_repr": "对象", "user_agent": "浏览器",
              "changes": "变更内容"}  # fmt: skip
    where = "、".join(f"{labels[k]} {n} 条" for k, n in counts.items() if n)
    AuditEvent.objects.create(
        actor_username="system",
        action="update",
        target_type="audit.auditevent",
        summary=(
            f"数据迁移 audit.0005：遮蔽 {len(fixes)} 条审计记录中明文的身份证号等标识（{where}），"
            f"仅在本次迁移的事务内解除只追加限制"
        )[:500],
        changes={"masked_rows": len(fixes), "columns": {k: n for k, n in counts.items() if n}},
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_sqlite_no_delete")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
