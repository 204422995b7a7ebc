"""The case's documents: context → template → WeasyPrint (core/pdf.py), stored with a hash.

受理回执 and 承诺书 at acceptance, 审批通知书 or 不予救助告知书 at the decision: rendered by a Celery task
after commit, or on demand when staff open one that is not there yet. Every text that goes on paper
is checked against the fonts first (``check_printable``).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from accounts.models import User
from audit.events import Event
from audit.services import record
from core.pdf import check_printable, qr_data_uri, render_pdf

from .models import Application, Letter, PromiseStatus, Status
from .settling import onestop_bills

TEMPLATES = {
    Letter.Kind.RECEIPT: "documents/receipt.html",
    Letter.Kind.PROMISE: "documents/promise.html",
    Letter.Kind.APPROVAL: "documents/approval.html",
    Letter.Kind.REJECTION: "documents/rejection.html",
    Letter.Kind.REVOCATION: "documents/revocation.html",
    Letter.Kind.RECOVERY: "documents/recovery.html",
}


def kinds_for(app: Application) -> list[str]:
    """The documents a case has at its stage."""
    kinds: list[str] = []
    if app.accepted_at is not None:
        kinds.append(Letter.Kind.RECEIPT)
        if app.promise_status != PromiseStatus.NONE:
            kinds.append(Letter.Kind.PROMISE)
    if app.settlement_id is not None and app.status in (Status.APPROVED, Status.PAID):
        kinds.append(Letter.Kind.APPROVAL)
    if app.status == Status.REJECTED:
        kinds.append(Letter.Kind.REJECTION)
    if app.status == Status.REVOKED:
        kinds.append(Letter.Kind.REVOCATION)
    return kinds


def status_url(app: Application) -> str:
    return f"{settings.PORTAL_PUBLIC_URL.rstrip('/')}/status/?{urlencode({'number': app.number})}"


def context_for(app: Application, kind: str, code: str) -> dict[str, Any]:
    county = app.county
    agency = county.agency_name or f"{county.name}医疗保障经办机构"
    materials = list(app.materials.all())
    context: dict[str, Any] = {
        "app": app,
        "agency": agency,
        "code": code,
        "qr": qr_data_uri(status_url(app)),
        "status_url": status_url(app),
        "expenses": list(app.expenses.all()),
        "received": [m for m in materials if m.received],
        "missing": [m for m in materials if not m.received],
        "promise_days": settings.PROMISE_DAYS,
        "reconsideration_body": county.reconsideration_body or f"{county.name}人民政府",
        "court": county.court or f"{county.name}人民法院",
    }
    if kind == Letter.Kind.APPROVAL:
        settlement = app.settlement
        if settlement is None:
            raise ValidationError("本案尚未批准结算，不能生成审批通知书。", code="no_settlement")
        bills = context["expenses"] if app.origin == "window" else onestop_bills(app)
        by_id = {str(e.pk): e for e in bills}
        context["settlement"] = settlement
        context["rows"] = [
            (by_id.get(r["id"]), r) for r in settlement.result["expenses"] if r["id"] in by_id
        ]
    if kind == Letter.Kind.REVOCATION:
        settlement = app.settlement
        context["revoke_reason"] = settlement.revoke_reason if settlement else ""
        context["revoked_on"] = settlement.revoked_at if settlement else app.status_changed_at
    return context


def printable_fields(app: Application) -> dict[str, str]:
    return {
        "申请人姓名": app.person.name,
        "代办人姓名": app.agent_name,
        "收款户名": app.bank_account_holder,
        "开户银行": app.bank_name,
        "医疗机构": "、".join(e.hospital for e in app.expenses.all()),
    }


@transaction.atomic
def letter_render(*, application: Application, kind: str, actor: User | None = None) -> Letter:
    """The case's one document of ``kind``: the stored one, or rendered now and stored with its
    hash and a verification code. The case's row is locked first, so a worker and a clerk
    opening it at the same moment render it once (on PostgreSQL; SQLite's writers are serial)."""
    app = (
        Application.objects.select_for_update(of=("self",))
        .select_related("person", "township", "county", "created_by", "settlement")
        .get(pk=application.pk)
    )
    if kind not in kinds_for(app):
        raise ValidationError(f"本案目前没有“{Letter.Kind(kind).label}”。", code="not_available")
    kept = app.letters.filter(kind=kind, version=1).first()
    if kept is not None:
        return kept
    check_printable(printable_fields(app))
    code = secrets.token_hex(4).upper()
    return letter_store(
        app,
        kind,
        render_pdf(TEMPLATES[Letter.Kind(kind)], context_for(app, kind, code)),
        code,
        actor,
    )


@transaction.atomic
def letter_render_with(
    *, application: Application, kind: str, extra: dict[str, Any], actor: User | None
) -> Letter:
    """Render a document whose facts live above this floor (a recovery notice: ``extra``) with the
    case's own context, and store it as the case's next version of that kind."""
    app = Application.objects.select_for_update().get(pk=application.pk)
    check_printable(printable_fields(app))
    code = secrets.token_hex(4).upper()
    context = {**context_for(app, kind, code), **extra}
    last = app.letters.filter(kind=kind).order_by("-version").values_list("version", flat=True)
    version = (last.first() or 0) + 1
    return letter_store(
        app, kind, render_pdf(TEMPLATES[Letter.Kind(kind)], context), code, actor, version=version
    )


def letter_store(
    app: Application, kind: str, pdf: bytes, code: str, actor: User | None, *, version: int = 1
) -> Letter:
    """Keep a rendered document with its hash and verification code, audited. If the same
    version was stored meanwhile (another process won the race), that one is the letter: this
    rendering is dropped, file and all, and nothing is audited twice."""
    letter = Letter(
        application=app,
        kind=kind,
        version=version,
        sha256=hashlib.sha256(pdf).hexdigest(),
        code=code,
        size=len(pdf),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    letter.file.save(f"{app.number}-{kind}-{code}.pdf", ContentFile(pdf), save=False)
    try:
        with transaction.atomic():
            letter.save()
    except IntegrityError:
        letter.file.delete(save=False)
        return Letter.objects.get(application=app, kind=kind, version=version)
    record(
        actor=actor,
        event=Event.LETTER_RENDERED,
        target=app,
        summary=f"生成{letter.get_kind_display()} {app.number}（SHA-256 {letter.sha256[:16]}…）",
    )
    return letter


def latest(app: Application, kind: str) -> Letter | None:
    return app.letters.filter(kind=kind).order_by("-version", "-created_at", "-id").first()
