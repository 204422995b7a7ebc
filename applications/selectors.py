"""Reads of applications, scoped to what the user may see."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet

from accounts.access import scoped
from beneficiaries.models import Referral

from . import case_actions, workflow
from .materials import MATERIALS
from .models import (
    Application,
    ApplicationEvent,
    IllnessCheck,
    InboxMessage,
    Material,
    MedicalExpense,
    OnlineUpload,
    PromiseStatus,
    Status,
)
from .settling import OPEN_REFERRALS, case_years, live_ledger, referral_of, referrals_of

TO_TELL = [Status.APPROVED, Status.REJECTED, Status.PAID, Status.REVOKED]


def applications_for(user: Any) -> QuerySet[Application]:
    """The applications of the user's township (clerk), county (county roles) or city (admin)."""
    return scoped(user, Application.objects.select_related("person", "township"))


def application_page(user: Any, number: str) -> Application:
    return (
        applications_for(user).select_related("county", "created_by", "reviewer").get(number=number)
    )


def case_page(user: Any, number: str) -> Application:
    """The case as its page shows it: each record the page reads, read once here (the case with its
    areas, settlement and identity in one row; its bills, materials, scans, history, and the
    person's identities and open referrals in one query each), for every part of the page to share."""
    return (
        applications_for(user)
        .select_related(
            "county__city",
            "township",
            "person__township__county__city",
            "created_by",
            "reviewer",
            "decided_by",
            "first_approver",
            "settlement",
            "identity",
            "identity_claim",
        )
        .prefetch_related(
            "expenses",
            Prefetch("materials", queryset=Material.objects.select_related("received_by")),
            "attachments",
            Prefetch("events", queryset=ApplicationEvent.objects.select_related("actor")),
            "person__identities",
            Prefetch(
                "person__referrals",
                queryset=Referral.objects.filter(ended_at__isnull=True),
                to_attr=OPEN_REFERRALS,
            ),
        )
        .get(number=number)
    )


def _overdue() -> Q:
    return Q(promise_status=PromiseStatus.OVERDUE)


def township_dashboard(township_id: int, today: date) -> dict[str, Any]:
    """A township window's day: today's intakes, promises due soon and overdue, cases returned,
    decisions to tell the applicant, drafts left unfinished. Counts and the first rows of each."""
    apps = Application.objects.filter(township_id=township_id).select_related("person")
    live = apps.exclude(status__in=workflow.FINAL)
    soon = today + timedelta(days=settings.PROMISE_REMIND_DAYS)
    lists = {
        "accepted_today": apps.filter(accepted_on=today).order_by("-accepted_at"),
        "due_soon": live.filter(
            promise_status=PromiseStatus.PENDING,
            promise_due_on__gte=today,
            promise_due_on__lte=soon,
        ).order_by("promise_due_on", "id"),
        "overdue": live.filter(
            Q(promise_status=PromiseStatus.OVERDUE)
            | Q(promise_status=PromiseStatus.PENDING, promise_due_on__lt=today)
        ).order_by("promise_due_on", "id"),
        "returned": apps.filter(status=Status.RETURNED).order_by("status_changed_at"),
        "to_tell": apps.filter(status__in=TO_TELL, told_at__isnull=True).order_by("decided_at"),
        "drafts": apps.filter(status=Status.DRAFT).order_by("created_at"),
    }
    return {name: {"count": qs.count(), "rows": list(qs[:10])} for name, qs in lists.items()}


def unread_inbox(user: Any) -> QuerySet[InboxMessage]:
    return InboxMessage.objects.filter(recipient=user, read_at__isnull=True)


def calendar_warning(today: date) -> str:
    """A warning when the next 60 days reach a year whose holidays nobody has entered yet."""
    from .models import CalendarDay
    from .workdays import uncovered_years

    years = sorted({today.year, (today + timedelta(days=60)).year})
    overrides = dict(CalendarDay.objects.filter(day__year__in=years).values_list("day", "working"))
    missing = uncovered_years(years, overrides)
    if not missing:
        return ""
    listed = "、".join(str(y) for y in missing)
    return (
        f"{listed} 年的法定节假日安排尚未录入：期限暂按周一至周五计算。"
        f"国务院公布放假安排后，请管理员在后台“节假日调整”中录入（或升级 chinesecalendar）。"
    )


def county_overview(county_id: int, today: date) -> list[dict[str, Any]]:
    """Cases of a county by stage: how many, how many past their time limit (one query)."""
    from django.db.models import Count

    counts: dict[str, tuple[int, int]] = {
        row["status"]: (row["n"], row["late"])
        for row in Application.objects.filter(county_id=county_id)
        .values("status")
        .annotate(n=Count("id"), late=Count("id", filter=Q(step_due_on__lt=today)))
    }
    return [
        {
            "status": status,
            "label": label,
            "n": counts.get(status, (0, 0))[0],
            "late": counts.get(status, (0, 0))[1],
        }
        for status, label in Status.choices
    ]


def mask_name(name: str) -> str:
    """A name on a public list: 王秀兰 → 王*兰, 王丽 → 王*."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def on_notice(county_id: int) -> QuerySet[Application]:
    return (
        Application.objects.filter(county_id=county_id, status=Status.NOTICE)
        .select_related("person", "township")
        .order_by("notice_ends_on", "number")
    )


def likely_duplicates(app: Application) -> list[tuple[MedicalExpense, str, str]]:
    """Bills of the same person that look like this case's bills under other numbers: the same
    hospital, overlapping dates and the same total (shown to the reviewer; the approver confirms
    确认不是同一笔费用 before approving). A bill with one of the same numbers is not listed: it is
    refused outright at intake and at approval. (this case's bill, where the other is, its URL)."""
    from settlements.models import LedgerEntry

    found: list[tuple[MedicalExpense, str, str]] = []
    mine = list(app.expenses.all())
    if not mine:
        return found
    others = list(
        MedicalExpense.objects.filter(application__person_id=app.person_id)
        .exclude(application=app)
        .exclude(application__status__in=["withdrawn", "terminated", "revoked"])
        .filter(total__in=[e.total for e in mine])
        .select_related("application")
    )
    totals = {e.total for e in mine}
    onestop = [
        x
        for x in live_ledger(app, case_years(app))
        if x.source == LedgerEntry.Source.ONESTOP and x.total in totals
    ]
    for e in mine:
        start, end = (e.admitted_on or e.day), e.day
        if end is None or start is None:
            continue
        for o in others:
            o_start, o_end = (o.admitted_on or o.day), o.day
            if (
                not set(o.keys) & set(e.keys)
                and o.total == e.total
                and o.hospital.strip() == e.hospital.strip()
                and o_start is not None and o_end is not None
                and o_start <= end and start <= o_end
            ):  # fmt: skip
                found.append(
                    (
                        e,
                        f"申请 {o.application.number}（{o.application.get_status_display()}）：{o.bill_label}",
                        o.application.get_absolute_url(),
                    )
                )
        for x in onestop:
            if (
                not {x.invoice_key, x.settlement_key} & set(e.keys)
                and x.total == e.total
                and x.hospital.strip() == e.hospital.strip()
                and start <= x.day <= end
            ):
                found.append((e, f"医院一站式结算：{x.label}，已救助 {x.assistance} 元", ""))
    return found


def promises_to_decide(county: Any) -> list[Application]:
    """Approved cases of the county whose promise is still overdue past the policy's days after
    approval: the county decides to extend once or to revoke (承诺未兑现)."""
    from django.utils import timezone

    today = timezone.localdate()
    rows = (
        Application.objects.filter(
            county=county, status=Status.APPROVED, promise_status=PromiseStatus.OVERDUE
        )
        .select_related("person", "township", "person__township__county__city")
        .order_by("promise_due_on", "id")[:200]
    )
    return [
        a
        for a in rows
        if (due := case_actions.promise_decision_due(a)) is not None and due <= today
    ]


def approved_between(county_ids: Any, first: date, last: date) -> QuerySet[Application]:
    """Window assistance approved between ``first`` and ``last`` (decision date, Asia/Shanghai);
    a revoked approval is not counted. What the fund's books and the monthly report both count."""
    return Application.objects.filter(
        county_id__in=county_ids,
        status__in=[Status.APPROVED, Status.PAID],
        decided_at__date__range=(first, last),
    )


def window_outlays(county_ids: Any, first: date, last: date) -> dict[int, Any]:
    """The fund's books (settlements.funds): ``approved_between``'s amounts by county."""
    from django.db.models import Sum

    rows = (
        approved_between(county_ids, first, last)
        .values("county_id")
        .annotate(s=Sum("approved_amount"))
    )
    return {r["county_id"]: r["s"] for r in rows if r["s"] is not None}


def case_records(app: Application) -> dict[str, Any]:
    """What the case page shows of the case's own records: expenses, materials with their scans,
    what is missing, the history, the person's identities, the 因病致贫 pre-check."""
    materials = list(app.materials.all())  # with who received each (case_page)
    attachments = list(app.attachments.all())
    expenses = list(app.expenses.all())
    referrals = referrals_of(app.person) if expenses else []
    for e in expenses:  # what makes each bill 规范转诊, or that nothing does
        referred, note = referral_of(e, referrals)
        e.referral_note = note if referred else "无覆盖的转诊备案（不按规范转诊计算）"  # type: ignore[attr-defined]
    return {
        "expenses": expenses,
        "unverified_bills": sum(1 for e in expenses if not e.verified),
        "materials": [(m, [a for a in attachments if a.material == m.code]) for m in materials],
        "missing": [m for m in materials if not m.received],
        "events": list(app.events.all()),
        "person_identities": sorted(
            app.person.identities.all(), key=lambda i: (i.certified_on, i.pk)
        ),
        "illness": IllnessCheck.objects.filter(application=app).first()
        if app.category == "illness_poor"
        else None,
        "claim_scans": [a for a in attachments if a.material == "identity_certificate"],
        "online": online_waiting(app),
    }


def online_waiting(app: Application) -> list[tuple[str, str, list[OnlineUpload]]]:
    """网上补交 waiting for the window: (material code, its name, the files), material by material."""
    grouped: dict[str, list[OnlineUpload]] = {}
    for row in app.online_uploads.filter(state=OnlineUpload.State.PENDING).order_by("id"):
        grouped.setdefault(row.material, []).append(row)
    return [(code, MATERIALS[code], rows) for code, rows in grouped.items()]
