"""The county's verification of a certificate recorded at the window, and the window's 因病致贫
pre-check (issue 19): each in one transaction, with the case history, the audit row and, for a
refused certificate, a message in the clerk's inbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.events import Event
from audit.services import record
from beneficiaries.claims import (
    Certificate,
    identity_claim_record,
    identity_claim_refuse,
    identity_claim_verify,
)
from beneficiaries.models import IdentityClaim
from settlements.services import policy_for

from .. import case_actions
from ..eligibility import household_burden, illness_tests
from ..models import Application, IllnessCheck, InboxMessage
from ..settling import estimate_refresh
from .base import _event

MAX_HOUSEHOLD = 30


def _locked(application: Application, action: str, actor: User) -> Application:
    app = (
        Application.objects.select_for_update(of=("self",))
        .select_related("county", "person", "identity_claim")
        .get(pk=application.pk)
    )
    refused = case_actions.case_action_refusal(app, action, actor)
    if refused:
        raise ValidationError(refused, code="refused")
    return app


MAX_INCOME = Decimal("99999999.99")


@transaction.atomic
def application_identity_decide(
    *, application: Application, actor: User, accept: bool, reason: str = ""
) -> IdentityClaim:
    """The county reviewer verifies (or refuses) the certificate recorded for this case. The
    identity enters the registry with its source; a refusal's reason reaches the window's inbox."""
    app = _locked(application, "verify_identity", actor)
    claim = app.identity_claim
    if claim is None:
        raise ValidationError("本案没有窗口登记的身份证明。", code="no_claim")
    if accept:
        claim = identity_claim_verify(claim=claim, actor=actor, note=reason)
        _event(app, "verify_identity", "核验身份证明通过", actor, reason=claim.reason)
    else:
        claim = identity_claim_refuse(claim=claim, actor=actor, reason=reason)
        _event(app, "refuse_identity", "身份证明核验未通过", actor, reason=claim.reason)
        InboxMessage.objects.get_or_create(
            dedupe_key=f"identity_refused:{claim.pk}:{app.pk}",
            defaults={
                "recipient_id": app.created_by_id,
                "application": app,
                "kind": "identity_refused",
                "text": (
                    f"{app.number} {app.person.name}：身份证明（{claim.get_category_display()}，"
                    f"证件 {claim.certificate_number}）核验未通过：{claim.reason}"
                )[:300],
                "for_day": timezone.localdate(),
            },
        )
    estimate_refresh(app)
    return claim


@transaction.atomic
def application_certificate_record(
    *, application: Application, cert: Certificate, actor: User
) -> IdentityClaim:
    """The window records the certificate the applicant brought after the case was accepted (the
    first was refused, or none was brought): a new claim for the county to verify."""
    app = _locked(application, "record_certificate", actor)
    if cert.category != app.category:
        raise ValidationError("证件的身份须与申请身份一致。", code="category")
    claim = identity_claim_record(person=app.person, cert=cert, actor=actor)
    app.identity_claim = claim
    app.save(update_fields=["identity_claim", "updated_at"])
    _event(
        app,
        "record_certificate",
        "登记身份证明（待县级核验）",
        actor,
        reason=f"{claim.get_department_display()}证件 {claim.certificate_number}，{claim.period_text()}",
    )
    estimate_refresh(app)
    return claim


@dataclass(frozen=True)
class Household:
    """What the window records for the 因病致贫 pre-check."""

    household_size: int
    household_income: Decimal
    hukou_local: bool
    rural: bool
    assets_ok: bool
    extra_members: str = ""


def household_problems(h: Household) -> dict[str, str]:
    problems = {}
    if not 1 <= h.household_size <= MAX_HOUSEHOLD:
        problems["household_size"] = f"家庭人口数应为 1 到 {MAX_HOUSEHOLD} 人。"
    if h.household_income < 0:
        problems["household_income"] = "家庭年收入不能为负数。"
    elif h.household_income > MAX_INCOME:
        problems["household_income"] = "家庭年收入超出范围，请核对。"
    if len(h.extra_members) > 1000:
        problems["extra_members"] = "家庭成员最多写 1000 个字。"
    return problems


def illness_check_figures(app: Application, h: Household) -> tuple[list, Decimal, int]:
    """The four tests for ``h`` with today's parameters, the household's burden and its year."""
    year, lines = household_burden(app)
    burden = sum((line.burden for line in lines), Decimal("0.00"))
    tests = illness_tests(
        policy=policy_for(app.person),
        on=timezone.localdate(),
        county_code=app.county.code,
        hukou_local=h.hukou_local,
        rural=h.rural,
        household_size=h.household_size,
        household_income=h.household_income,
        medical_burden=burden,
        assets_ok=h.assets_ok,
    )
    return tests, burden, year


@transaction.atomic
def illness_check_save(
    *, application: Application, household: Household, actor: User
) -> IllnessCheck:
    """Record (or record again) the window's pre-check: the household's figures and the four tests
    computed now, kept with their figures and clauses. Before the county's decision only."""
    app = _locked(application, "illness_check", actor)
    problems = household_problems(household)
    if problems:
        raise ValidationError(problems)
    tests, burden, _year = illness_check_figures(app, household)
    passed = all(t.passed for t in tests)
    check, created = IllnessCheck.objects.update_or_create(
        application=app,
        defaults={
            "household_size": household.household_size,
            "household_income": household.household_income,
            "extra_members": household.extra_members.strip(),
            "hukou_local": household.hukou_local,
            "rural": household.rural,
            "assets_ok": household.assets_ok,
            "medical_burden": burden,
            "tests": [t.as_json() for t in tests],
            "passed": passed,
            "policy_version": policy_for(app.person).version,
            "recorded_by": actor,
        },
    )
    verdict = (
        "四项条件均符合"
        if passed
        else "不符合：" + "、".join(t.label for t in tests if not t.passed)
    )
    _event(app, "illness_check", "因病致贫预审", actor, reason=verdict)
    record(
        actor=actor,
        event=Event.ILLNESS_CHECKED if created else Event.ILLNESS_RECHECKED,
        target=app,
        summary=f"因病致贫预审 {app.number}：{verdict}",
    )
    return check


@transaction.atomic
def illness_list_sent(*, checks: Sequence[IllnessCheck], actor: User) -> int:
    """The county has sent these pre-checks to 民政 for certification (the PDF list)."""
    ids = [c.pk for c in checks]
    now = timezone.now()
    sent = IllnessCheck.objects.filter(pk__in=ids, sent_at__isnull=True).update(sent_at=now)
    record(
        actor=actor,
        event=Event.ILLNESS_LIST_SENT,
        target=None,
        county=actor.county,
        summary=f"报送民政因病致贫重病患者预审名单 {len(ids)} 人（首次报送 {sent} 人）",
    )
    return sent
