"""The daily sweep: promises due and overdue, time limits, the reminders to clerks and applicants."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from audit.events import Event
from audit.services import record_by_system

from .. import workflow
from ..materials import MATERIALS
from ..models import (
    Application,
    ApplicationEvent,
    InboxMessage,
    Material,
    Notification,
    PromiseStatus,
)
from .notifications import notifications_deliver_all


@dataclass
class SweepResult:
    due_soon: int
    overdue: int
    inbox_created: int
    notifications_created: int
    marked_overdue: int
    sent: int
    failed: int


def _record_overdue(late: list[tuple[int, str, date | None, int, int]]) -> None:
    """Each promise the sweep found overdue gets its case event and its audit row (in bulk)."""
    now = timezone.now()
    ApplicationEvent.objects.bulk_create(
        [
            ApplicationEvent(
                application_id=pk,
                action="promise_overdue",
                at=now,
                label=f"承诺补交材料逾期（期限 {due:%Y-%m-%d}）",
            )
            for pk, _, due, _, _ in late
        ],
        batch_size=1000,
    )
    record_by_system(
        event=Event.PROMISE_OVERDUE,
        model=Application,
        rows=(
            (pk, number, township_id, county_id,
             f"承诺补交材料逾期（期限 {due:%Y-%m-%d}），承诺状态改为“已逾期”")
            for pk, number, due, township_id, county_id in late
        ),
    )  # fmt: skip


def _missing_by_case(cases: Any) -> dict[int, list[str]]:
    """The names of the materials still missing, by case."""
    missing: dict[int, list[str]] = {}
    for app_id, code in Material.objects.filter(
        application__in=cases.values("pk"), received_at__isnull=True
    ).values_list("application_id", "code"):  # a subquery, not a list of ids: constant size
        missing.setdefault(app_id, []).append(MATERIALS[code])
    return missing


def _wording(r: Mapping[str, Any], due: date, today: date, items: str) -> tuple[str, str, str]:
    """(kind, the clerk's inbox line, the applicant's SMS) for a promise due soon or overdue."""
    window = f"{r['township__name']}社会救助窗口，电话{r['township__window_phone']}"
    if due < today:
        return (
            "overdue",
            f"{r['number']} {r['person__name']}：承诺补交材料已逾期 {(today - due).days} 天（期限 {due:%Y-%m-%d}）：{items}",
            f"您的医疗救助申请（编号{r['number']}）承诺补交的材料已过期限（{due:%Y-%m-%d}）：{items}。"
            f"请尽快交到{window}",
        )
    left = (due - today).days
    when = "今天到期" if left == 0 else f" {left} 天后到期"
    return (
        "due_soon",
        f"{r['number']} {r['person__name']}：承诺补交材料{when}（{due:%Y-%m-%d}）：{items}",
        f"提醒：您的医疗救助申请（编号{r['number']}）尚缺{items}，请于{due:%Y-%m-%d}前交到{window}",
    )


def reminders_sweep(*, today: date | None = None, deliver: bool = True) -> SweepResult:
    """Find promises due within PROMISE_REMIND_DAYS days and promises overdue; remind each once
    per application, kind and day (the clerk's inbox and the applicant's phone); then send every
    notification still waiting. Derives everything from the database: safe to run twice, by two
    workers at once, or after a broker outage. A constant number of queries whatever the volume."""
    today = today or timezone.localdate()
    soon = today + timedelta(days=settings.PROMISE_REMIND_DAYS)
    open_promise = Q(promise_status__in=workflow.PROMISE_OPEN) & ~Q(status__in=workflow.FINAL)
    with transaction.atomic():
        late = list(
            Application.objects.select_for_update()
            .filter(open_promise, promise_status=PromiseStatus.PENDING, promise_due_on__lt=today)
            .values_list("pk", "number", "promise_due_on", "township_id", "county_id")
        )
        marked = workflow.promises_overdue([r[0] for r in late])
        _record_overdue(late)
        due_cases = Application.objects.filter(open_promise, promise_due_on__lte=soon)
        not_reminded_today = ~Exists(
            InboxMessage.objects.filter(
                application=OuterRef("pk"), for_day=today, kind__in=["due_soon", "overdue"]
            )
        )
        rows = list(due_cases.filter(not_reminded_today).values(*REMINDER_COLUMNS))
        inbox, outbox, counts = _reminders(rows, _missing_by_case(due_cases), today)
        # one INSERT per table on PostgreSQL whatever the volume (SQLite splits by its variable limit)
        InboxMessage.objects.bulk_create(inbox, ignore_conflicts=True)
        Notification.objects.bulk_create(outbox, ignore_conflicts=True)
    sent, failed = notifications_deliver_all() if deliver else (0, 0)
    return SweepResult(
        due_soon=counts["due_soon"],
        overdue=counts["overdue"],
        inbox_created=len(inbox),
        notifications_created=len(outbox),
        marked_overdue=marked,
        sent=sent,
        failed=failed,
    )


REMINDER_COLUMNS = ("pk", "number", "person__name", "promise_due_on", "created_by_id",
                    "contact_phone", "agent_phone", "township__name", "township__window_phone")  # fmt: skip


def _reminders(
    rows: list[dict[str, Any]], missing: dict[int, list[str]], today: date
) -> tuple[list[InboxMessage], list[Notification], dict[str, int]]:
    """Today's reminder of each case: a line in the clerk's inbox and an SMS to each phone."""
    inbox, outbox = [], []
    counts = {"due_soon": 0, "overdue": 0}
    now = timezone.now()
    for r in rows:
        due = r["promise_due_on"]
        if due is None:  # excluded by the filter; for the type checker
            continue
        items = "、".join(missing.get(r["pk"], [])) or "（无）"
        kind, clerk_text, sms = _wording(r, due, today, items)
        counts[kind] += 1
        key = f"{kind}:{r['pk']}:{today.isoformat()}"
        inbox.append(
            InboxMessage(
                recipient_id=r["created_by_id"],
                application_id=r["pk"],
                kind=kind,
                text=clerk_text[:300],
                for_day=today,
                dedupe_key=key,
                created_at=now,
            )
        )
        for phone in sorted({p for p in (r["contact_phone"], r["agent_phone"]) if p}):
            outbox.append(
                Notification(
                    application_id=r["pk"],
                    kind=kind,
                    phone=phone,
                    text=sms[:500],
                    dedupe_key=f"{key}:{phone}",
                    created_at=now,
                )
            )
    return inbox, outbox, counts
