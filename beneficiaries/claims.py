"""Identities recorded at the window from the applicant's certificate (``IdentityClaim``, 待核验):
recorded by the township's clerk, verified or refused by the county's reviewer, or verified by
itself when a department's data brings the same identity (``claims_verified_by_registry``, which
the import calls for the people it touched)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.access import Capability, can_access_area, has_capability
from accounts.models import User
from audit.events import Event
from audit.services import record
from engine.categories import CATEGORIES

from .models import (
    CERTIFIERS,
    CLAIM_STATES,
    Department,
    HardshipIdentity,
    IdentityClaim,
    IdentityImport,
    IdentitySource,
    Person,
)

CERTIFICATE_MAX = 60
REASON_MAX = 300


@dataclass(frozen=True)
class Certificate:
    """What the clerk copies from the certificate the applicant brought."""

    category: str
    department: str
    certificate_number: str
    certified_on: date
    ended_on: date | None = None


def certificate_problems(cert: Certificate, *, today: date) -> dict[str, str]:
    """Why this certificate cannot be recorded, by field, in Chinese (empty when it can)."""
    problems: dict[str, str] = {}
    label = CATEGORIES.get(cert.category, ("",))[0]
    if cert.category not in CATEGORIES:
        problems["category"] = "请选择困难身份类别。"
    elif cert.department not in CERTIFIERS[cert.category]:
        allowed = "、".join(Department(d).label for d in sorted(CERTIFIERS[cert.category]))
        problems["department"] = f"{label}由{allowed}认定，请按证件上的认定部门填写。"
    number = cert.certificate_number.strip()
    if not number:
        problems["certificate_number"] = "请填写证件编号（证件上的编号）。"
    elif len(number) > CERTIFICATE_MAX:
        problems["certificate_number"] = f"证件编号最多 {CERTIFICATE_MAX} 个字符。"
    if cert.certified_on > today:
        problems["certified_on"] = f"认定日期 {cert.certified_on:%Y-%m-%d} 晚于今天，请核对证件。"
    if cert.ended_on is not None and cert.ended_on < cert.certified_on:
        problems["ended_on"] = "有效期至不能早于认定日期。"
    return problems


def identity_claim_record(*, person: Person, cert: Certificate, actor: User) -> IdentityClaim:
    """The window records the certificate: a claim waiting for the county (待核验). A claim of the
    same category still waiting is updated rather than doubled (the applicant came back with it)."""
    if not can_access_area(actor, township=person.township):
        raise PermissionDenied("此人不在您的辖区。")
    problems = certificate_problems(cert, today=timezone.localdate())
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        claim = (
            IdentityClaim.objects.select_for_update()
            .filter(person=person, category=cert.category, status=IdentityClaim.Status.PENDING)
            .first()
        )
        created = claim is None
        claim = claim or IdentityClaim(person=person, category=cert.category, recorded_by=actor)
        claim.department = cert.department
        claim.certificate_number = cert.certificate_number.strip()
        claim.certified_on = cert.certified_on
        claim.ended_on = cert.ended_on
        claim.recorded_by = actor
        claim.save()
        record(
            actor=actor,
            event=Event.CLAIM_RECORDED if created else Event.CLAIM_CHANGED,
            target=person,
            summary=f"窗口登记待核验身份：{claim.get_category_display()}，{claim.get_department_display()}"
            f"证件 {claim.certificate_number}，{claim.period_text()}",
        )
    return claim


def _may_verify(claim: IdentityClaim, actor: User) -> None:
    if not has_capability(actor, Capability.VERIFY_IDENTITIES):
        raise PermissionDenied("只有县级审核人员可以核验身份证明。")
    if not can_access_area(actor, township=claim.person.township):
        raise PermissionDenied("此人不在您的辖区。")


def _locked_pending(claim: IdentityClaim) -> IdentityClaim:
    locked = (
        IdentityClaim.objects.select_for_update()
        .select_related("person__township")
        .get(pk=claim.pk)
    )
    if locked.status != IdentityClaim.Status.PENDING:
        raise ValidationError(
            f"这份身份证明已处理（{locked.get_status_display()}），不再重复核验。", code="decided"
        )
    return locked


@transaction.atomic
def identity_claim_verify(*, claim: IdentityClaim, actor: User, note: str = "") -> IdentityClaim:
    """The county reviewer has checked the certificate (or the department's data): the identity
    enters the registry with its source (窗口登记，县级核验) and its verifier."""
    _may_verify(claim, actor)
    claim = _locked_pending(claim)
    identity = HardshipIdentity.objects.filter(
        person=claim.person, category=claim.category, certified_on=claim.certified_on
    ).first()
    if identity is None:
        try:
            with transaction.atomic():
                identity = HardshipIdentity.objects.create(
                    person=claim.person,
                    category=claim.category,
                    department=claim.department,
                    certificate_number=claim.certificate_number,
                    certified_on=claim.certified_on,
                    ended_on=claim.ended_on,
                    source=IdentitySource.WINDOW,
                    source_user=actor,
                )
        except IntegrityError:  # a department's import wrote it a moment ago
            identity = HardshipIdentity.objects.get(
                person=claim.person, category=claim.category, certified_on=claim.certified_on
            )
    CLAIM_STATES.step(claim, IdentityClaim.Status.VERIFIED)
    claim.identity = identity
    claim.decided_by = actor
    claim.decided_at = timezone.now()
    claim.reason = note.strip()[:REASON_MAX]
    claim.save()
    record(
        actor=actor,
        event=Event.CLAIM_VERIFIED,
        target=claim.person,
        summary=f"核验通过身份证明：{claim.get_category_display()}（证件 {claim.certificate_number}，"
        f"{claim.period_text()}），登记入身份库",
    )
    return claim


@transaction.atomic
def identity_claim_refuse(*, claim: IdentityClaim, actor: User, reason: str) -> IdentityClaim:
    """The certificate does not hold (forged, expired, another person's, not in the department's
    data): refused with the reason the window and the applicant are told."""
    _may_verify(claim, actor)
    reason = reason.strip()
    if not reason:
        raise ValidationError("请写明核验未通过的理由（窗口将据此告知申请人）。", code="reason")
    if len(reason) > REASON_MAX:
        raise ValidationError(f"理由最多 {REASON_MAX} 个字。", code="reason")
    claim = _locked_pending(claim)
    CLAIM_STATES.step(claim, IdentityClaim.Status.REFUSED)
    claim.decided_by = actor
    claim.decided_at = timezone.now()
    claim.reason = reason
    claim.save()
    record(
        actor=actor,
        event=Event.CLAIM_REFUSED,
        target=claim.person,
        summary=f"身份证明核验未通过：{claim.get_category_display()}（证件 {claim.certificate_number}）：{reason}",
    )
    return claim


def claims_verified_by_registry(
    person_ids: Iterable[int], *, batch: IdentityImport | None = None
) -> int:
    """Verify the waiting claims of these people that the registry now holds: an identity of the
    same category whose period covers the claim's certification date (a department's import or push
    brought it). Returns how many were verified; each is in the audit trail."""
    ids = list(set(person_ids))
    if not ids:
        return 0
    waiting = list(
        IdentityClaim.objects.select_for_update(of=("self",))
        .filter(person_id__any_of=ids, status=IdentityClaim.Status.PENDING)
        .select_related("person")
    )
    done = 0
    for claim in waiting:
        identity = (
            HardshipIdentity.objects.filter(
                person_id=claim.person_id,
                category=claim.category,
                certified_on__lte=claim.certified_on,
            )
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=claim.certified_on))
            .exclude(source=IdentitySource.WINDOW)
            .order_by("-certified_on", "-id")
            .first()
        )
        if identity is None:
            continue
        CLAIM_STATES.step(claim, IdentityClaim.Status.VERIFIED)
        claim.identity = identity
        claim.decided_at = timezone.now()
        claim.verified_by_import = batch
        claim.reason = "部门数据已有此身份，自动核验"
        claim.save()
        record(
            actor=None,
            event=Event.CLAIM_VERIFIED_BY_REGISTRY,
            target=claim.person,
            summary=f"部门数据核验了窗口登记的身份证明：{claim.get_category_display()}"
            f"（证件 {claim.certificate_number}）"
            + (f"，来源批次 {batch.pk}" if batch is not None else ""),
        )
        done += 1
    return done


def claims_for(person: Person) -> list[IdentityClaim]:
    return list(
        IdentityClaim.objects.filter(person=person)
        .select_related("identity", "decided_by", "recorded_by")
        .order_by("-recorded_at", "-id")
    )
