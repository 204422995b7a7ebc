"""People, households and their hardship identities (困难身份), as the departments certify them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from core.crypto import BlindIndexField, EncryptedCharField, TailField, blind_index
from engine import categories

from ..idnumber import mask, parse, validate_id_number


class Category(models.TextChoices):
    """The eight hardship categories (docs/contracts.md §5): the engine's vocabulary (labels and ranking
    in ``engine/categories.py``)."""

    TEKUN = "tekun", categories.CATEGORIES["tekun"][0]
    ORPHAN = "orphan", categories.CATEGORIES["orphan"][0]
    DIBAO = "dibao", categories.CATEGORIES["dibao"][0]
    RETURNED_POOR = "returned_poor", categories.CATEGORIES["returned_poor"][0]
    RURAL_AT_RISK = "rural_at_risk", categories.CATEGORIES["rural_at_risk"][0]
    DIBAO_EDGE = "dibao_edge", categories.CATEGORIES["dibao_edge"][0]
    ILLNESS_POOR = "illness_poor", categories.CATEGORIES["illness_poor"][0]
    OTHER = "other", categories.CATEGORIES["other"][0]
    SEVERE_DISABLED = "severe_disabled", categories.CATEGORIES["severe_disabled"][0]


class Sex(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class Relationship(models.TextChoices):
    HEAD = "head", "户主"
    SPOUSE = "spouse", "配偶"
    CHILD = "child", "子女"
    PARENT = "parent", "父母"
    GRANDPARENT = "grandparent", "祖父母/外祖父母"
    GRANDCHILD = "grandchild", "孙子女/外孙子女"
    SIBLING = "sibling", "兄弟姐妹"
    OTHER = "other", "其他"


class Household(models.Model):
    """A household (家庭): its members are the people pointing at it."""

    township = models.ForeignKey(
        "areas.Township", verbose_name="乡镇（街道）", on_delete=models.PROTECT
    )
    size = models.PositiveSmallIntegerField("家庭人口数", default=1)
    income_per_head = models.DecimalField(
        "家庭人均年收入（元）", max_digits=12, decimal_places=2, null=True, blank=True
    )
    income_year = models.PositiveSmallIntegerField("收入年度", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        verbose_name = "家庭"
        verbose_name_plural = "家庭"
        constraints = [
            models.CheckConstraint(name="household_size_positive", condition=Q(size__gte=1)),
            models.CheckConstraint(
                name="household_income_not_negative",
                condition=Q(income_per_head__isnull=True) | Q(income_per_head__gte=0),
            ),
        ]

    def __str__(self) -> str:
        head = self.members.filter(relationship=Relationship.HEAD).first()
        return f"{head.name}家（{self.size} 人）" if head else f"家庭 {self.pk}"


def mask_account(number: str) -> str:
    """A bank account as lists and letters show it: the first and last four digits."""
    n = number.replace(" ", "")
    return f"{n[:4]} **** **** {n[-4:]}" if len(n) > 8 else ("*" * len(n))


class PersonQuerySet(models.QuerySet["Person"]):
    """Look people up by ID number through the blind index (the column itself is encrypted)."""

    def with_id_number(self, id_number: str) -> PersonQuerySet:
        return self.filter(id_index=blind_index(Person, id_number))

    def with_id_numbers(self, id_numbers: Iterable[str]) -> PersonQuerySet:
        return self.filter(id_index__any_of=[blind_index(Person, n) for n in id_numbers])

    def keyed_by_id_number(
        self, id_numbers: Iterable[str], *fields: str
    ) -> dict[str, tuple[Any, ...]]:
        """{ID number: (pk, *fields)} for those of ``id_numbers`` registered, without decrypting."""
        by_index = {blind_index(Person, n): n for n in id_numbers}
        rows = self.filter(id_index__any_of=list(by_index)).values_list("id_index", "pk", *fields)
        return {by_index[row[0]]: tuple(row[1:]) for row in rows}


class Person(models.Model):
    # the way to its township and county, for accounts.access.scoped
    area_lookups = ("township_id", "township__county_id")
    # Encrypted at rest (core/crypto.py); found and kept unique through its blind index.
    id_number = EncryptedCharField(
        "公民身份号码", max_length=18, validators=[validate_id_number], mask=mask
    )
    id_index = BlindIndexField("身份证号码索引", source="id_number", unique=True, null=True)
    # the four digits the masked number shows anyway: a reviewer searches “1034” (issue 18)
    id_tail = TailField("身份证号码末 4 位", source="id_number", length=4, db_index=True)
    name = models.CharField("姓名", max_length=50)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    address = models.CharField("住址", max_length=200, blank=True)
    hukou_place = models.CharField("户籍地", max_length=200, blank=True)
    hukou_local = models.BooleanField("本地户籍", default=True)
    township = models.ForeignKey(
        "areas.Township",
        verbose_name="居住乡镇（街道）",
        on_delete=models.PROTECT,
        related_name="people",
        db_index=False,  # person_township_name_idx starts with it: one index fewer to write
    )
    household = models.ForeignKey(
        Household,
        verbose_name="家庭",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    relationship = models.CharField(
        "与户主关系", max_length=12, choices=Relationship.choices, blank=True
    )
    bank_name = models.CharField("开户银行", max_length=100, blank=True)
    bank_account_holder = models.CharField("账户户名", max_length=50, blank=True)
    bank_account_number = EncryptedCharField(
        "银行账号", max_length=40, blank=True, mask=mask_account
    )
    id_warning = models.CharField("身份证号码提示", max_length=300, blank=True)
    # 死亡减员 (seed 003 三(一)): recorded at the window with its evidence; the identities end that
    # day and the subsidy roster marks the person (beneficiaries.services.person_death_record)
    died_on = models.DateField("死亡日期", null=True, blank=True)
    death_note = models.CharField("死亡信息来源", max_length=200, blank=True, db_default="")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = "救助对象"
        verbose_name_plural = "救助对象"
        ordering = ["township_id", "name", "id"]
        indexes = [
            models.Index(fields=["township", "name", "id"], name="person_township_name_idx"),
            models.Index(fields=["name", "id"], name="person_name_idx"),
            models.Index(fields=["phone"], name="person_phone_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(died_on__isnull=True) | ~models.Q(death_note=""),
                name="person_death_has_source",
                violation_error_message="登记死亡须写明信息来源。",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.masked_id_number}）"

    def get_absolute_url(self) -> str:
        return reverse("beneficiaries:person_detail", args=[self.pk])

    def validate_unique(self, exclude: Any = None) -> None:
        """The ID number is unique through its blind index: say so in words before the database
        refuses it."""
        super().validate_unique(exclude)
        if self.id_number and not (exclude and "id_number" in exclude):
            same = Person.objects.with_id_number(self.id_number).exclude(pk=self.pk)
            if same.exists():
                raise ValidationError(
                    {"id_number": "该公民身份号码已登记，请在救助对象中查找此人。"}
                )

    def clean(self) -> None:
        """Derive birth date and sex from the ID number; keep the county-code warning."""
        info = parse(self.id_number)
        self.id_number = info.number
        self.birth_date = info.birth_date
        self.sex = info.sex
        self.id_warning = info.warnings[0] if info.warnings else ""
        if not self.hukou_place:
            self.hukou_place = info.place

    @property
    def masked_id_number(self) -> str:
        return mask(self.id_number)

    @property
    def masked_bank_account(self) -> str:
        return mask_account(self.bank_account_number)

    def age_on(self, on: date) -> int | None:
        if self.birth_date is None:
            return None
        b = self.birth_date
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


class Department(models.TextChoices):
    CIVIL_AFFAIRS = "民政", "民政部门"
    RURAL_REVITALISATION = "乡村振兴", "乡村振兴部门"
    DISABLED_FEDERATION = "残联", "残联"
    MEDICAL_INSURANCE = "医保", "医疗保障部门"
    OTHER = "其他", "其他部门"


# Which departments certify which category (docs/domain.md, the category table; seed 001 §二): a
# department's file or key may create, update or end only identities of these categories.
CERTIFIERS: dict[str, frozenset[str]] = {
    Category.TEKUN: frozenset({Department.CIVIL_AFFAIRS}),
    Category.ORPHAN: frozenset({Department.CIVIL_AFFAIRS}),
    Category.DIBAO: frozenset({Department.CIVIL_AFFAIRS}),
    Category.DIBAO_EDGE: frozenset({Department.CIVIL_AFFAIRS}),
    Category.RETURNED_POOR: frozenset({Department.RURAL_REVITALISATION}),
    Category.RURAL_AT_RISK: frozenset({Department.RURAL_REVITALISATION}),
    Category.ILLNESS_POOR: frozenset({Department.CIVIL_AFFAIRS, Department.RURAL_REVITALISATION}),
    Category.OTHER: frozenset(Department.values),
    Category.SEVERE_DISABLED: frozenset({Department.DISABLED_FEDERATION}),
}


class IdentitySource(models.TextChoices):
    IMPORT = "import", "文件导入"
    API = "api", "部门系统推送"
    USER = "user", "工作人员录入"
    WINDOW = "window", "窗口登记，县级核验"


class HardshipIdentity(models.Model):
    """A hardship identity certified by a department, valid from certified_on to ended_on inclusive."""

    person = models.ForeignKey(
        Person,
        verbose_name="救助对象",
        on_delete=models.CASCADE,
        related_name="identities",
        db_index=False,  # identity_natural_key (person, category, certified_on) begins with it
    )
    category = models.CharField("困难身份类别", max_length=16, choices=Category.choices)
    department = models.CharField("认定部门", max_length=20, choices=Department.choices)
    certificate_number = models.CharField("证件编号", max_length=60, blank=True)
    certified_on = models.DateField("认定日期")
    ended_on = models.DateField(
        "终止日期", null=True, blank=True, help_text="最后有效的一天；空表示仍有效"
    )
    source = models.CharField("来源", max_length=8, choices=IdentitySource.choices)
    source_import = models.ForeignKey(
        "IdentityImport",
        verbose_name="来源批次",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "困难身份"
        verbose_name_plural = "困难身份"
        ordering = ["person_id", "certified_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "category", "certified_on"], name="identity_natural_key"
            ),
            models.CheckConstraint(
                name="identity_ends_after_start",
                violation_error_message="终止日期不能早于认定日期。",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("certified_on")),
            ),
        ]

    def __str__(self) -> str:
        end = f"{self.ended_on:%Y-%m-%d}" if self.ended_on else "至今"
        return f"{self.get_category_display()}（{self.certified_on:%Y-%m-%d} — {end}）"

    def is_valid_on(self, on: date) -> bool:
        return categories.is_valid_on(self, on)
