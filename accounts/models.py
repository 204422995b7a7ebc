"""Staff accounts, each bound to a role and an area."""

from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q


class Role(models.TextChoices):
    CLERK = "clerk", "乡镇（街道）窗口经办人"
    REVIEWER = "reviewer", "县级审核人员"
    APPROVER = "approver", "县级审批人"
    FINANCE = "finance", "县级财务发放经办"
    ADMIN = "admin", "系统管理员"


COUNTY_ROLES = frozenset({Role.REVIEWER, Role.APPROVER, Role.FINANCE})


class StaffManager(UserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra: Any
    ) -> "User":
        """`manage.py createsuperuser`: the city's administrator, bound to no area."""
        extra.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    """A staff member. Clerks belong to a township, county roles to a county, admins to the city."""

    objects = StaffManager()  # type: ignore[misc]

    role = models.CharField("角色", max_length=12, choices=Role.choices, default=Role.CLERK)
    county = models.ForeignKey(
        "areas.County",
        verbose_name="所属旗县区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    township = models.ForeignKey(
        "areas.Township",
        verbose_name="所属乡镇（街道）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    phone = models.CharField("联系电话", max_length=30, blank=True)

    class Meta:
        verbose_name = "工作人员"
        verbose_name_plural = "工作人员"
        constraints = [
            models.CheckConstraint(
                name="clerk_has_township",
                condition=~Q(role=Role.CLERK) | Q(township__isnull=False, county__isnull=False),
            ),
            models.CheckConstraint(
                name="county_role_has_county",
                condition=~Q(role__in=sorted(COUNTY_ROLES))
                | Q(county__isnull=False, township__isnull=True),
            ),
        ]

    def clean(self) -> None:
        super().clean()
        if self.role == Role.CLERK:
            if self.township is None:
                raise ValidationError({"township": "窗口经办人必须指定所属乡镇（街道）。"})
            self.county_id = self.township.county_id
        elif self.role in COUNTY_ROLES:
            if self.county_id is None:
                raise ValidationError({"county": "县级角色必须指定所属旗县区。"})
            if self.township_id is not None:
                raise ValidationError({"township": "县级角色不属于某个乡镇，请留空。"})
        elif self.role == Role.ADMIN:
            self.county_id = None
            self.township_id = None

    @property
    def acting_role(self) -> Role | None:
        """The role this account acts in now: none when inactive, administrator for a superuser."""
        if not self.is_active:
            return None
        return Role.ADMIN if self.is_superuser else Role(self.role)

    @property
    def area_name(self) -> str:
        if self.township is not None:
            return f"{self.township.county.name} {self.township.name}"
        if self.county is not None:
            return self.county.name
        return "全市"

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full}（{self.username}）" if full else self.username
