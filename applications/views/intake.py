"""The window's intake: find or register the person, the identity, the payee and the expenses
(a draft, editable); then the materials handed in, the promise for the missing ones, acceptance.
``intake(request, start)`` is also the page a warning starts (``monitoring``, the floor above)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts.access import Capability, StaffRequest, capability_required
from audit.events import Event
from audit.services import record_view
from beneficiaries.models import Person
from beneficiaries.selectors import favourable_identity, people_for
from beneficiaries.services import person_save
from core.crypto import DecryptionError, keyring
from core.params import number_in
from engine.categories import CATEGORIES
from settlements.services import policy_for

from .. import services
from ..eligibility import assisted_in_year, onestop_categories, onestop_source, open_cases_of
from ..forms import (
    FROM_PLATFORM,
    INTAKE_FIELDS,
    MAX_EXPENSES,
    AcceptForm,
    ExpenseForm,
    ExpenseFormSet,
    IdLookupForm,
    IntakeForm,
    PersonRegisterForm,
)
from ..models import (
    Application,
    Status,
)
from ..platform_bills import open_platform_records, platform_bill
from ..settling import policy_start
from .base import _errors, _own_application


def _intake_forms(
    request: StaffRequest,
    person: Person | None,
    data: Any,
    app: Application | None = None,
    bills: list[dict[str, Any]] | None = None,
) -> tuple[IntakeForm, Any]:
    today = timezone.localdate()
    identities = list(person.identities.all()) if person else []
    favourite = favourable_identity(person, today) if person else None
    initial: dict[str, Any] = {}
    if app is not None:
        claim = app.identity_claim
        initial = {
            "identity_choice": f"id:{app.identity_id}"
            if app.identity_id
            else f"cat:{app.category}",
            **{k: getattr(app, k) for k in INTAKE_FIELDS},
            "onestop_reason": app.onestop_reason,
            "onestop_note": app.onestop_note,
            "second_case_ack": True,  # acknowledged when the draft was saved
        }
        if claim is not None:
            initial |= {
                "cert_department": claim.department,
                "cert_number": claim.certificate_number,
                "cert_certified_on": claim.certified_on,
                "cert_ended_on": claim.ended_on,
            }
    elif person is not None:
        initial = {
            "contact_phone": person.phone,
            "bank_name": person.bank_name,
            "bank_account_holder": person.bank_account_holder or person.name,
            "bank_account_number": person.bank_account_number,
        }
    # a newcomer is registered in the clerk's township: that city's policy
    policy = policy_for(person or Person(township=request.user.township))  # type: ignore[misc]
    form = IntakeForm(
        data,
        identities=identities,
        today=today,
        favourite=favourite,
        initial=initial,
        onestop=onestop_categories(policy, today),
        assisted=policy.categories,
        open_cases=open_cases_of(person, exclude=app) if person is not None and person.pk else [],
    )
    expense_initial = _rows_of(app) if app is not None else (bills or None)
    earliest = policy_start(person) if person is not None else None
    formset = ExpenseFormSet(
        data,
        prefix="e",
        initial=expense_initial,
        form_kwargs={"earliest": earliest, "person_id": person.pk if person else None},
    )
    return form, formset


def _rows_of(app: Application) -> list[dict[str, Any]]:
    """A draft's bills as the form's rows (a platform bill by its setl_id)."""
    return [
        {f: getattr(e, f) for f in ExpenseForm.Meta.fields}
        | ({"setl_id": e.setl_id} if e.source == "platform" else {})
        for e in app.expenses.all()
    ]


def _platform_rows(data: Any, person: Person | None) -> Any:
    """The same POST with the rows that name a setl_id filled from the person's platform records
    (the “按结算ID带出” button), and a row more for a record picked from the list (“带入”)."""
    data = data.copy()
    rows = number_in(str(data.get("e-TOTAL_FORMS", "1")), 0, MAX_EXPENSES) or 1
    taken = (data.get("take_setl") or "").strip()
    if taken:
        held = [str(data.get(f"e-{i}-setl_id", "")).strip() for i in range(rows)]
        if taken not in held:
            empty = next(
                (i for i in range(rows) if not any(
                    str(data.get(f"e-{i}-{k}", "")).strip()
                    for k in ("setl_id", "hospital", "total", "invoice_number"))),
                None,
            )  # fmt: skip
            if empty is None and rows < MAX_EXPENSES:
                empty, rows = rows, rows + 1
                data["e-TOTAL_FORMS"] = str(rows)
            if empty is not None:
                data[f"e-{empty}-setl_id"] = taken
    for i in range(rows):
        setl_id = str(data.get(f"e-{i}-setl_id", "")).strip()
        found = platform_bill(setl_id, person.pk if person else None) if setl_id else None
        if isinstance(found, dict):
            for name in FROM_PLATFORM:
                value = found[name]
                data[f"e-{i}-{name}"] = (
                    "on" if value is True else "" if value in (None, False) else str(value)
                )
            data[f"e-{i}-invoice_number"] = ""
    return data


def _more_rows(data: Any) -> Any:
    """The same POST with one more blank expense row (the “再加一笔” button; no JavaScript)."""
    data = data.copy()
    raw = str(data.get("e-TOTAL_FORMS", "1"))
    rows = number_in(raw, 0, MAX_EXPENSES) or 1
    data["e-TOTAL_FORMS"] = str(min(rows + 1, MAX_EXPENSES))
    return data


@dataclass(frozen=True)
class IntakeStart:
    """An intake started elsewhere than at the window's lookup (a warning, by ``monitoring``, the
    floor above): whose case it is, the banner, the expense rows to start from, and what to do
    with the saved draft, inside the same transaction (``saved(application, actor)``)."""

    person_id: int
    banner: str
    bills: list[dict[str, Any]]
    saved: Callable[[Application, Any], object]


@capability_required(Capability.INTAKE)
def new(request: StaffRequest) -> HttpResponse:
    """Intake, step 1: find the person by ID number (or register them), the identity, an agent,
    the payee account and the expenses. Saved as a draft; step 2 is the materials."""
    return intake(request)


LOOKUP_KEY = "intake-lookup"  # session: {token: ID number}; the URL carries only the token
LOOKUP_AAD = b"applications.intake.lookup"
LOOKUPS_KEPT = 20


def lookup_token(request: StaffRequest, id_number: str) -> str:
    """Keep the ID number the window typed in the clerk's session under a random token: the URL
    (and so the server log and the browser history) carries the token, never the number; the session
    (a database row) holds it encrypted like the registry does."""
    token = secrets.token_urlsafe(9)
    kept = dict(request.session.get(LOOKUP_KEY, {}))
    kept[token] = keyring().encrypt(id_number, LOOKUP_AAD)
    request.session[LOOKUP_KEY] = dict(list(kept.items())[-LOOKUPS_KEPT:])
    return token


def _looked_up(request: StaffRequest) -> str | None:
    token = request.GET.get("t", "")
    sealed = request.session.get(LOOKUP_KEY, {}).get(token) if token else None
    try:
        return keyring().decrypt(sealed, LOOKUP_AAD) if sealed else None
    except DecryptionError:  # a session from before a key rotation: look the person up again
        return None


def intake(request: StaffRequest, start: IntakeStart | None = None) -> HttpResponse:
    """The intake page, from the window's lookup (a POST; then ``?t=<token>``) or from ``start``
    (for its person only)."""
    if request.method == "POST" and "lookup" in request.POST:
        lookup = IdLookupForm(request.POST)
        if not lookup.is_valid():
            return render(request, "applications/lookup.html", {"lookup": lookup})
        token = lookup_token(request, lookup.cleaned_data["id_number"])
        return redirect(f"{request.path}?t={token}")
    if start is not None:
        id_number = Person.objects.get(pk=start.person_id).id_number
    else:
        found = _looked_up(request)
        if found is None:
            problem = "查找已过期，请重新输入申请人身份证号。" if request.GET.get("t") else ""
            return render(
                request, "applications/lookup.html", {"lookup": IdLookupForm(), "problem": problem}
            )
        id_number = found
    person = people_for(request.user).with_id_number(id_number).first()
    if person is None and Person.objects.with_id_number(id_number).exists():
        problem = "此人登记在其他乡镇（街道），请到其居住地的社会救助窗口申请，或先办理居住地变更。"
        return render(
            request, "applications/lookup.html", {"lookup": IdLookupForm(), "problem": problem}
        )
    data = request.POST if request.method == "POST" else None
    bills = start.bills if start is not None else []
    newcomer = Person(id_number=id_number, township=request.user.township)  # type: ignore[union-attr]
    register = PersonRegisterForm(data, prefix="p", instance=newcomer) if person is None else None
    if data is not None and ("add_row" in data or "fetch_bills" in data or "take_setl" in data):
        data = _more_rows(data) if "add_row" in data else _platform_rows(data, person)
        register = (
            PersonRegisterForm(data, prefix="p", instance=newcomer) if person is None else None
        )
        form, formset = _intake_forms(request, person, data)
        return _render_intake(request, person, id_number, register, form, formset, start=start)
    form, formset = _intake_forms(request, person, data, bills=bills if data is None else None)
    if data is not None:
        forms_ok = form.is_valid() & formset.is_valid() & (register is None or register.is_valid())
        if forms_ok:
            try:
                with transaction.atomic():
                    if person is None:
                        assert register is not None  # noqa: S101 - set above when person is None
                        person = person_save(person=register.save(commit=False), actor=request.user)
                    app = services.application_save_draft(
                        person=person,
                        intake=form.intake(),
                        expenses=formset.expenses(),
                        actor=request.user,
                    )
                    if start is not None:
                        start.saved(app, request.user)
            except ValidationError as exc:
                _errors(form, exc)
            else:
                return redirect("applications:accept", number=app.number)
    return _render_intake(request, person, id_number, register, form, formset, start=start)


def _render_intake(
    request: StaffRequest,
    person: Person | None,
    id_number: str,
    register: Any,
    form: Any,
    formset: Any,
    app: Application | None = None,
    start: IntakeStart | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    policy = policy_for(person or Person(township=request.user.township))  # type: ignore[misc]
    context: dict[str, Any] = {
        "onestop_labels": "、".join(
            short for code, (_label, short, _r) in CATEGORIES.items() if code in form.onestop
        ),
        "onestop_source": onestop_source(policy, today),
    }
    if person is not None and person.pk:
        record_view(
            event=Event.INTAKE_VIEWED, actor=request.user, target=person, summary="窗口受理页查看"
        )
        context |= {
            "assisted_year": today.year,
            "assisted": assisted_in_year(person, today.year),
            "platform_records": [  # not those already taken into a row of this form
                r
                for r in open_platform_records(person.pk)
                if r.setl_id not in {f.data.get(f.add_prefix("setl_id")) for f in formset}
            ],
        }
    return render(
        request,
        "applications/intake.html",
        {
            "person": person,
            "id_number": id_number,
            "register": register,
            "form": form,
            "formset": formset,
            "app": app,
            "start": start,
            **context,
        },
    )


@capability_required(Capability.INTAKE)
def new_for_person(request: StaffRequest, pk: int) -> HttpResponse:
    """为其受理申请 from a person's page: the intake for that person, by token (no ID number in
    the URL); only for people of the clerk's own township."""
    person = get_object_or_404(people_for(request.user), pk=pk)
    return redirect(f"{reverse('applications:new')}?t={lookup_token(request, person.id_number)}")


@capability_required(Capability.INTAKE)
def edit(request: StaffRequest, number: str) -> HttpResponse:
    """Correct a draft before accepting it."""
    app = _own_application(request, number)
    if app.status != Status.DRAFT:
        messages.error(request, "已受理的申请不能再修改受理信息。")
        return redirect(app)
    person = app.person
    data = request.POST if request.method == "POST" else None
    if data is not None and ("add_row" in data or "fetch_bills" in data or "take_setl" in data):
        more = _more_rows(data) if "add_row" in data else _platform_rows(data, person)
        form, formset = _intake_forms(request, person, more, app)
        return _render_intake(request, person, person.id_number, None, form, formset, app)
    form, formset = _intake_forms(request, person, data, app)
    if data is not None and form.is_valid() & formset.is_valid():
        try:
            services.application_save_draft(
                person=person,
                intake=form.intake(),
                expenses=formset.expenses(),
                actor=request.user,
                application=app,
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            return redirect("applications:accept", number=app.number)
    return _render_intake(request, person, person.id_number, None, form, formset, app)


@capability_required(Capability.INTAKE)
def accept(request: StaffRequest, number: str) -> HttpResponse:
    """Intake, step 2: tick the materials handed in, attach scans, record the promise, accept."""
    app = _own_application(request, number)
    if app.status != Status.DRAFT:
        return redirect(app)
    codes = list(app.materials.values_list("code", flat=True))
    form = AcceptForm(request.POST or None, request.FILES or None, codes=codes)
    if request.method == "POST" and form.is_valid():
        try:
            app = services.application_accept(
                application=app,
                actor=request.user,
                received=form.received(),
                promise_signed=form.cleaned_data["promise_signed"],
                files=form.files_by_material(),
                forward="accept_forward" in request.POST,
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            if app.promise_due_on:
                messages.success(
                    request,
                    f"已受理，编号 {app.number}。缺少的材料须在 {app.promise_due_on:%Y-%m-%d}前补齐。",
                )
            else:
                messages.success(request, f"已受理，编号 {app.number}，材料齐全。")
            return redirect(app)
    record_view(
        event=Event.INTAKE_VIEWED,
        actor=request.user,
        target=app,
        summary=f"受理材料页查看申请 {app.number}",
    )
    return render(
        request,
        "applications/accept.html",
        {
            "app": app,
            "form": form,
            "promise_days": settings.PROMISE_DAYS,
            "expenses": list(app.expenses.all()),
        },
    )
