"""What waits for a decision about a person: a department's change request, and an identity
certificate taken at the window for the county to verify."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.states import Machine
from engine import categories

from .imports import IdentityImport
from .people import Category, Department, HardshipIdentity, Person


class PersonChange(models.Model):
    """A change to a person's master data that a department's file or push proposed (变更申请).

    Departments certify identities; the registry's name, township, phone and address stay as they
    are until the person's township (or the administrator) confirms the change. Old and new are
    kept side by side in ``changes`` ({field: [old, new]}); a move to another township is seen by
    both townships (``township`` and ``new_township``)."""

    # a change is seen where the person lives and where it would move them (accounts.access.scoped)
    area_lookups = (
        ("township_id", "township__county_id"),
        ("new_township_id", "new_township__county_id"),
    )

    class Status(models.TextChoices):
        PENDING = "pending", "待确认"
        ACCEPTED = "accepted", "已确认并更新"
        REFUSED = "refused", "已退回"
        SUPERSEDED = "superseded", "已被同一部门的新申请取代"

    FIELDS = ("name", "township_id", "phone", "address")
    LABELS = {
        "name": "姓名",
        "township_id": "居住乡镇（街道）",
        "phone": "联系电话",
        "address": "住址",
    }

    person = models.ForeignKey(
        Person, verbose_name="救助对象", on_delete=models.CASCADE, related_name="changes"
    )
    department = models.CharField("提出部门", max_length=20, choices=Department.choices)
    source_import = models.ForeignKey(
        IdentityImport,
        verbose_name="来源批次",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    township = models.ForeignKey(
        "areas.Township",
        verbose_name="现居住乡镇（街道）",
        on_delete=models.PROTECT,
        related_name="+",
    )
    new_township = models.ForeignKey(
        "areas.Township",
        verbose_name="迁入乡镇（街道）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    changes = models.JSONField("变更内容（原值、新值）")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField("提出时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="处理人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    reason = models.CharField("退回理由", max_length=200, blank=True)

    class Meta:
        verbose_name = "信息变更申请"
        verbose_name_plural = "信息变更申请"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "department"],
                condition=Q(status="pending"),
                name="person_change_one_pending_per_department",
            ),
            models.CheckConstraint(
                name="person_change_decided_by_someone",
                condition=Q(status__in=["pending", "superseded"])
                | Q(decided_by__isnull=False, decided_at__isnull=False),
            ),
            models.CheckConstraint(
                name="person_change_refused_with_reason",
                condition=~Q(status="refused") | ~Q(reason=""),
            ),
        ]
        indexes = [
            models.Index(fields=["township", "status"], name="person_change_town_idx"),
            models.Index(fields=["new_township", "status"], name="person_change_newtown_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person.name} 的信息变更申请（{self.get_status_display()}）"

    def lines(self) -> list[tuple[str, str, str]]:
        """(label, old, new) for each changed field; a move by the townships' names."""
        out = []
        for name in self.FIELDS:
            if name not in self.changes:
                continue
            old, new = self.changes[name]
            if name == "township_id":
                old, new = self.township.name, self.new_township.name if self.new_township else new
            out.append((self.LABELS[name], "无" if old in (None, "") else str(old), str(new)))
        return out


class IdentityClaim(models.Model):
    """A hardship identity as the applicant's certificate shows it, recorded at the window (待核验).

    It is not an identity yet: the registry (``HardshipIdentity``) holds only what a department
    certified or a county reviewer verified. A county reviewer verifies the claim against the
    certificate or the department's data (it then becomes an identity, ``identity``) or refuses it
    with a reason the window sees; a department's import of the same identity verifies it by itself
    (``verified_by_import``). At most one claim per person and category waits at a time."""

    class Status(models.TextChoices):
        PENDING = "pending", "待县级核验"
        VERIFIED = "verified", "已核验，已登记入身份库"
        REFUSED = "refused", "核验未通过"

    person = models.ForeignKey(
        Person, verbose_name="救助对象", on_delete=models.CASCADE, related_name="identity_claims"
    )
    category = models.CharField("困难身份类别", max_length=16, choices=Category.choices)
    department = models.CharField("认定部门", max_length=20, choices=Department.choices)
    certificate_number = models.CharField("证件编号", max_length=60)
    certified_on = models.DateField("认定日期")
    ended_on = models.DateField("有效期至", null=True, blank=True, help_text="空表示证件未写期限")
    status = models.CharField(
        "核验状态", max_length=10, choices=Status.choices, default=Status.PENDING
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="核验人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("核验时间", null=True, blank=True)
    reason = models.CharField("核验说明（未通过的理由）", max_length=300, blank=True)
    identity = models.ForeignKey(
        HardshipIdentity,
        verbose_name="登记入库的身份",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims",
    )
    verified_by_import = models.ForeignKey(
        IdentityImport,
        verbose_name="由部门数据核验",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "待核验困难身份"
        verbose_name_plural = "待核验困难身份"
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "category"],
                condition=Q(status="pending"),
                name="identity_claim_one_pending",
                violation_error_message="此人已有同类身份证明在等待县级核验。",
            ),
            models.CheckConstraint(
                name="identity_claim_ends_after_start",
                violation_error_message="有效期至不能早于认定日期。",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("certified_on")),
            ),
            models.CheckConstraint(
                name="identity_claim_verified_has_identity",
                condition=~Q(status="verified") | Q(identity__isnull=False),
            ),
            models.CheckConstraint(
                name="identity_claim_refused_with_reason",
                condition=~Q(status="refused") | (~Q(reason="") & Q(decided_by__isnull=False)),
            ),
        ]
        indexes = [models.Index(fields=["person", "status"], name="identity_claim_person")]

    def __str__(self) -> str:
        return f"{self.get_category_display()}（证件 {self.certificate_number}，{self.get_status_display()}）"

    @property
    def pending(self) -> bool:
        return self.status == self.Status.PENDING

    def is_valid_on(self, on: date) -> bool:
        return categories.is_valid_on(self, on)

    def period_text(self) -> str:
        end = f"{self.ended_on:%Y-%m-%d}" if self.ended_on else "证件未写期限"
        return f"{self.certified_on:%Y-%m-%d} — {end}"


_C, _V = PersonChange.Status, IdentityClaim.Status
# A department's change request: decided once by the township, or replaced by the same
# department's later proposal (beneficiaries.services.changes writes it).
CHANGE_STATES = Machine(
    PersonChange,
    "status",
    {
        _C.ACCEPTED: frozenset({_C.PENDING}),
        _C.REFUSED: frozenset({_C.PENDING}),
        _C.SUPERSEDED: frozenset({_C.PENDING}),
    },
    writer="beneficiaries.changes",
    label="变更申请",
)
# An identity certificate taken at the window: verified by the county (or by a department's import
# that already holds the identity) or refused, once (beneficiaries.claims writes it).
CLAIM_STATES = Machine(
    IdentityClaim,
    "status",
    {_V.VERIFIED: frozenset({_V.PENDING}), _V.REFUSED: frozenset({_V.PENDING})},
    writer="beneficiaries.claims",
    label="身份证明",
)
