"""The bridge from a case to the settlement engine: its expenses as the engine takes them, and the
preview shown on the case page (the ledger read, nothing written)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from beneficiaries.models import IdentityClaim, Person, Referral
from beneficiaries.referrals import covering
from core.memo import remembered
from engine import Expense, IdentityPeriod, Result, SettlementInputError, YearState
from engine.categories import CATEGORIES
from engine.model import LEDGER_FIELDS
from engine.money import ZERO
from settlements.ledger.tilted import tilted_claim_preview
from settlements.models import LedgerEntry, Settlement
from settlements.services import Bill, policy_for, settlement_preview, settlement_recompute

from .models import Application, MedicalExpense, Origin

LEDGER_LABELS = {
    "deductible_used": "已负担救助起付标准",
    "assistance_used": "已获医疗救助",
    "tilted_threshold_used": "已计入倾斜救助起付",
    "tilted_used": "已获倾斜救助",
    "deductible_used_outpatient": "已负担普通门诊起付标准",
    "assistance_used_outpatient": "普通门诊已获救助（分项限额）",
    "deductible_used_chronic_outpatient": "已负担门诊慢特病起付标准",
    "assistance_used_chronic_outpatient": "门诊慢特病已获救助（分项限额）",
    "personal_borne": "个人已负担",
}


def policy_start(person: Person) -> date:
    """The day the person's city's policy took effect: no bill before it can be assisted."""
    return policy_for(person).starts_on


RECORDED_ANSWER = "旧记录：受理时窗口勾选“规范转诊”（转诊备案建立之前的案件）"


def referral_of(e: MedicalExpense, referrals: Sequence[Referral]) -> tuple[bool, str]:
    """Whether the bill is 规范转诊 and what says so: a registered referral covering its hospital
    and date, or (a bill entered before the register) the answer recorded at the window."""
    if e.referred_basis == "checkbox":
        return e.referred, RECORDED_ANSWER if e.referred else ""
    found = covering(referrals, e.hospital, e.hospital_code, e.day)
    return (True, str(found)) if found is not None else (False, "")


def engine_expense(e: MedicalExpense, referrals: Sequence[Referral] = ()) -> Expense:
    day = e.day
    if day is None:  # the model's clean() requires it; a row saved around it is refused here
        raise SettlementInputError(f"费用“{e.hospital}”缺少日期")
    referred, referral = referral_of(e, referrals)
    return Expense(
        id=str(e.pk),
        day=day,
        kind=e.kind,
        total=e.total,
        policy_scope=e.policy_scope,
        basic_paid=e.basic_paid,
        critical_paid=e.critical_paid,
        in_region=e.in_region,
        referred=referred,
        referral=referral,
    )


# where the case page keeps the person's open referrals, read with the case (selectors.case_page)
OPEN_REFERRALS = "open_referrals"


def referrals_of(person: Person) -> list[Referral]:
    """The person's referrals not ended (those the case page read with the case, if it did)."""
    kept = getattr(person, OPEN_REFERRALS, None)
    return list(kept) if kept is not None else list(person.referrals.filter(ended_at__isnull=True))


def engine_expenses(app: Application) -> list[Expense]:
    referrals = referrals_of(app.person)
    return [engine_expense(e, referrals) for e in app.expenses.all()]


def engine_bills(app: Application) -> list[Bill]:
    """The case's bills as the ledger keeps them (their keys: one bill is assisted once)."""
    return [
        Bill(str(e.pk), e.hospital, e.bill_label, e.invoice_key, e.settlement_key)
        for e in app.expenses.all()
    ]


def why_nothing(result: Result) -> str:
    """The engine's own words for an outcome of 0.00: each bill's assistance lines."""
    lines = [
        line
        for r in result.expenses
        for line in r.lines
        if line.startswith(("医疗救助：", "年度限额：", "起付标准："))
    ]
    return "；".join(dict.fromkeys(lines))


def case_years(app: Application) -> set[int]:
    """The years the case's bills fall in (admission to discharge), and this year."""
    years = {timezone.localdate().year}
    for e in app.expenses.all():
        first, last = e.admitted_on or e.day, e.day or e.admitted_on
        if first is not None and last is not None:
            years.update(range(first.year, last.year + 1))
    return years


def live_ledger(app: Application, years: Iterable[int]) -> list[LedgerEntry]:
    """The person's live ledger entries (both channels) in ``years``, in date order. On a reading
    page, read once for every year of the case's bills (core.memo): the preview's earlier lines,
    the duplicate check and the year's picture share the one read. Elsewhere (a decision, a task)
    read afresh each time. Each entry's year is its day's (settlements.ledger)."""
    wanted = set(years)
    read = frozenset(case_years(app) | wanted)
    rows = remembered(
        ("live_ledger", app.person_id, read),
        lambda: list(
            LedgerEntry.objects.filter(
                person_id=app.person_id, year__in=sorted(read), released_at__isnull=True
            )
            .select_related("settlement")
            .order_by("day", "id")
        ),
    )
    return [e for e in rows if e.year in wanted]


@dataclass
class Preview:
    result: Result | None = None
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    rows: list[tuple[MedicalExpense, object, str]] = field(default_factory=list)
    ledger: list[tuple[int, list[tuple[str, Decimal, Decimal]]]] = field(default_factory=list)
    # the decision's own settlement (after approval the page shows it, never a fresh preview)
    stored: Settlement | None = None
    # the bills already in the person's ledger for these years, both channels, in date order
    earlier: list[LedgerEntry] = field(default_factory=list)
    # computed with an identity recorded at the window and not verified yet (试算)
    provisional: bool = False

    @property
    def to_pay(self) -> Decimal:
        return ZERO if self.result is None else self.result.to_pay


def pending_claim(app: Application) -> IdentityClaim | None:
    """The certificate recorded at the window for this case, while it waits for the county."""
    claim = app.identity_claim if app.identity_claim_id else None
    return claim if claim is not None and claim.pending else None


def provisional(app: Application) -> tuple[IdentityPeriod, ...]:
    """The waiting certificate as an identity, for a preview marked as provisional (试算)."""
    claim = pending_claim(app)
    if claim is None:
        return ()
    return (IdentityPeriod(claim.category, claim.certified_on, claim.ended_on),)


def case_preview(app: Application) -> Preview:
    """What approving this case now would pay, explained line by line, from the ledger as it is."""
    preview = Preview()
    _identity_warnings(app, preview)
    expenses: list[Any] = list(app.expenses.all())
    stored = app.settlement
    try:
        if stored is not None:  # decided: the stored settlement, re-run from its own snapshot
            preview.stored = stored
            result = settlement_recompute(stored)
            if app.origin == Origin.TILTED:
                expenses = onestop_bills(app)
        elif app.origin == Origin.TILTED:  # the one-stop bills' dues, as they entered
            dues, result = tilted_claim_preview(app.person, app.tilted_entries)
            expenses = [_OneStopBill(e) for e in dues]
        else:
            referrals = referrals_of(app.person)  # once for every bill of the case
            result = settlement_preview(
                person=app.person,
                expenses=[engine_expense(e, referrals) for e in expenses],
                extra=provisional(app),
            )
    except SettlementInputError as exc:
        preview.error = str(exc)
        return preview
    preview.result = result
    entries = live_ledger(app, result.opening)
    if stored is not None:
        entries = [
            e for e in entries if e.settlement_id != stored.pk and e.created_at < stored.approved_at
        ]
    preview.earlier = entries[:100]
    by_id = {str(e.pk): e for e in expenses}
    preview.rows = [
        (by_id[r.expense_id], r, CATEGORIES[r.identity][0] if r.identity else "无有效身份")
        for r in result.expenses
    ]
    preview.ledger = [
        (year, _ledger_lines(result.opening[year], result.closing[year]))
        for year in sorted(result.opening)
    ]
    return preview


class _OneStopBill:
    """A one-stop bill of a discovery case, as the case page's settlement rows show a bill."""

    def __init__(self, entry: LedgerEntry) -> None:
        self.pk = f"onestop:{entry.pk}"
        self.hospital = entry.hospital

    def get_kind_display(self) -> str:
        return "住院（医院一站式结算）"


def onestop_bills(app: Application) -> list[Any]:
    """A discovery case's one-stop bills, as its settlement rows and letter show them."""
    return [
        _OneStopBill(e)
        for e in LedgerEntry.objects.filter(pk__in=app.tilted_entries).order_by("day", "id")
    ]


def _ledger_lines(before: YearState, after: YearState) -> list[tuple[str, Decimal, Decimal]]:
    """The yearly ledger's figures before and after, each with its Chinese label (an outpatient
    kind's own figures only where they are not zero)."""
    return [
        (label, getattr(before, name), getattr(after, name))
        for name, label in LEDGER_LABELS.items()
        if name in LEDGER_FIELDS
        and (not name.endswith("outpatient") or getattr(before, name) or getattr(after, name))
    ]


def _identity_warnings(app: Application, preview: Preview) -> None:
    """Why the figure may not be what the approver gets: an identity waiting for the county's
    check (the figure counts it), refused (it does not), or nowhere at all."""
    claim = app.identity_claim if app.identity_claim_id else None
    label = CATEGORIES[app.category][0]
    if app.settlement_id is None and claim is not None and claim.pending:
        preview.provisional = True
        preview.warnings.append(
            f"按窗口登记、待县级核验的身份“{label}”（{claim.get_department_display()}证件 "
            f"{claim.certificate_number}，{claim.period_text()}）试算：核验通过后才能审批；"
            f"核验未通过则按无此身份计算。"
        )
    elif app.settlement_id is None and claim is not None and claim.status == claim.Status.REFUSED:
        preview.warnings.append(
            f"窗口登记的身份证明“{label}”核验未通过（{claim.reason}）：按无此身份计算。"
        )
    elif (
        app.identity_id is None
        and app.settlement_id is None
        and claim is None
        and not any(i.category == app.category for i in app.person.identities.all())
    ):
        preview.warnings.append(
            f"申请身份“{label}”不在身份库中，窗口也未登记身份证明：须由窗口登记证件（县级核验）"
            f"或待部门数据导入，否则按无有效身份计算，不予救助。"
        )


def estimate_refresh(app: Application) -> None:
    """Store what approving the case now would pay (the review queue's “拟救助” column). A bill the
    engine cannot settle leaves it empty; the case page says why."""
    if app.settlement_id is not None or app.origin == Origin.TILTED:
        return  # decided: the approved amount; a discovery case: its dues, set when opened
    try:
        result = settlement_preview(
            person=app.person,
            expenses=engine_expenses(app),
            extra=provisional(app),
        )
    except SettlementInputError:
        amount = None
    else:
        amount = result.to_pay
    if amount != app.estimated_amount:
        app.estimated_amount = amount
        Application.objects.filter(pk=app.pk).update(estimated_amount=amount)
