"""The registry: people, households, hardship identities, and the imports that keep them current."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.crypto import BlindIndexField, EncryptedCharField, TailField, blind_index
from core.states import Machine
from engine import categories

from .idnumber import mask, parse, validate_id_number


class Category(models.TextChoices):
    """The eight hardship categories (contracts.md §5): the engine's vocabulary (labels and ranking
    in ``engine/categories.py``)."""

    TEKUN = "tekun", categories.CATEGORIES["tekun"][0]
    ORPHAN = "orphan", categories.CATEGORIES["orphan"][0]
    DIBAO = "dibao", categories.CATEGORIES["dibao"][0]
    RETURNED_POOR = "returned_poor", categories.CATEGORIES["returned_poor"][0]
    RURAL_AT_RISK = "rural_at_risk", categories.CATEGORIES["rural_at_risk"][0]
    DIBAO_EDGE = "dibao_edge", categories.CATEGORIES["dibao_edge"][0]
    ILLNESS_POOR = "illness_poor", categories.CATEGORIES["illness_poor"][0]
    OTHER = "other", categories.CATEGORIES["other"][0]


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


# Which departments certify which category (domain.md, the category table; seed 001 §二): a
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


class DepartmentToken(models.Model):
    """A department system's key for the push endpoint. Only its SHA-256 is stored."""

    department = models.CharField("部门", max_length=20, choices=Department.choices)
    label = models.CharField("系统名称", max_length=100)
    key_prefix = models.CharField("密钥前缀", max_length=8)
    key_hash = models.CharField("密钥摘要", max_length=64, unique=True)
    active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)

    class Meta:
        verbose_name = "部门推送密钥"
        verbose_name_plural = "部门推送密钥"

    def __str__(self) -> str:
        return f"{self.get_department_display()} · {self.label}（{self.key_prefix}…）"


class IdentityImport(models.Model):
    """One file (or one push) of identity records from a department, kept with its results."""

    class Kind(models.TextChoices):
        FILE = "file", "文件导入"
        API = "api", "系统推送"

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "已上传，等待检查"
        PREVIEWING = "previewing", "正在检查"
        PREVIEWED = "previewed", "检查完成，等待确认导入"
        APPLYING = "applying", "正在导入"
        APPLIED = "applied", "已导入"
        FAILED = "failed", "失败"

    class Content(models.TextChoices):
        IDENTITIES = "identities", "困难身份数据"
        HOSPITAL = "hospital", "医院结算数据"

    kind = models.CharField("方式", max_length=4, choices=Kind.choices, default=Kind.FILE)
    content = models.CharField(
        "数据内容", max_length=10, choices=Content.choices, default=Content.IDENTITIES
    )
    department = models.CharField("部门", max_length=20, choices=Department.choices)
    file = models.FileField("文件", upload_to="imports/%Y/%m/", blank=True)
    original_name = models.CharField("文件名", max_length=200, blank=True)
    sha256 = models.CharField("文件摘要", max_length=64, blank=True, db_index=True)
    status = models.CharField(
        "状态", max_length=12, choices=Status.choices, default=Status.UPLOADED
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="导入人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    token = models.ForeignKey(
        DepartmentToken,
        verbose_name="推送密钥",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    previewed_at = models.DateTimeField("检查完成", null=True, blank=True)
    applied_at = models.DateTimeField("导入完成", null=True, blank=True)
    total_rows = models.PositiveIntegerField("数据行数", default=0)
    processed_rows = models.PositiveIntegerField("已处理行数", default=0)
    bad_rows = models.PositiveIntegerField("有误行数", default=0)
    warning_rows = models.PositiveIntegerField("提示行数", default=0)
    people_created = models.PositiveIntegerField("新增人员", default=0)
    people_updated = models.PositiveIntegerField("更新人员", default=0)
    identities_created = models.PositiveIntegerField("新增身份", default=0)
    identities_updated = models.PositiveIntegerField("更新身份", default=0)
    identities_unchanged = models.PositiveIntegerField("未变化身份", default=0)
    records_created = models.PositiveIntegerField("新增结算记录", default=0)
    records_unchanged = models.PositiveIntegerField("已有结算记录（未重复计入）", default=0)
    message = models.CharField("说明", max_length=500, blank=True)
    # The checkpoint: rows up to this spreadsheet row number are committed with their counts.
    resume_after_row = models.PositiveIntegerField("已提交至第几行", default=0)
    heartbeat_at = models.DateTimeField("处理进程最近报告", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("本阶段处理次数", default=0)

    class Meta:
        verbose_name = "数据导入"
        verbose_name_plural = "数据导入"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_department_display()} {self.original_name or self.get_kind_display()}（{timezone.localtime(self.created_at):%Y-%m-%d %H:%M}）"

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status in {self.Status.PREVIEWED, self.Status.APPLIED} else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))


_S = IdentityImport.Status
# An import's states and the moves between them (target: the states it may come from).
# beneficiaries.services.jobs._move is the only writer of IdentityImport.status.
IMPORT_STATES = Machine(
    IdentityImport,
    "status",
    {
        # checked by a worker; taken again after its worker died; 重试 of a failed check
        _S.PREVIEWING: frozenset({_S.UPLOADED, _S.PREVIEWING, _S.FAILED}),
        _S.PREVIEWED: frozenset({_S.PREVIEWING}),
        # confirmed; taken again after its worker died; 重试 of a failed import
        _S.APPLYING: frozenset({_S.PREVIEWED, _S.APPLYING, _S.FAILED}),
        _S.APPLIED: frozenset({_S.APPLYING}),
        _S.FAILED: frozenset({_S.UPLOADED, _S.PREVIEWING, _S.APPLYING}),
    },
    writer="beneficiaries.services.jobs",
    label="导入",
)
IMPORT_MOVES = IMPORT_STATES.moves


class ImportRow(models.Model):
    """A row of an import worth a word: refused (with its reason), a warning, or a change made."""

    class Kind(models.TextChoices):
        ERROR = "error", "有误，未导入"
        WARNING = "warning", "提示"
        CHANGED = "changed", "已更新"

    batch = models.ForeignKey(IdentityImport, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField("行号")
    kind = models.CharField("类型", max_length=8, choices=Kind.choices)
    id_number = models.CharField("身份证号（脱敏）", max_length=18, blank=True)
    message = models.CharField("说明", max_length=500)

    class Meta:
        verbose_name = "导入结果行"
        verbose_name_plural = "导入结果行"
        ordering = ["row_number", "id"]
        indexes = [
            models.Index(fields=["batch", "kind", "row_number"], name="importrow_batch_kind_idx")
        ]

    def __str__(self) -> str:
        return f"第 {self.row_number} 行：{self.message}"


class StagedRow(models.Model):
    """A row of a file as the check judged it, kept until the import has written it.

    The check reads the file once, validates every row and writes here what it found (with
    ``COPY`` on PostgreSQL): the cleaned record, its ID number already sealed (``core.crypto
    .Sealed``) and its blind index, or the reasons it was refused. The import reads these rows
    instead of the file, so nothing is parsed, validated or encrypted twice. ``data`` is JSON:
    ``{"r": record or null, "e": [errors], "w": [warnings]}``; no clear ID number is in it. The
    rows go when the import has finished (or the file is checked again)."""

    # No index of its own: the unique (batch, row_number) serves every look-up by batch. With
    # both, PostgreSQL, its statistics not yet told of the 100,000 rows a check has just written,
    # read a whole batch by the batch index and sorted it (to disk) for each 5,000 rows the
    # import read back (issue 21).
    batch = models.ForeignKey(
        IdentityImport, on_delete=models.CASCADE, related_name="staged", db_index=False
    )
    row_number = models.PositiveIntegerField("行号")
    data = models.TextField("校验结果")

    class Meta:
        verbose_name = "待导入行"
        verbose_name_plural = "待导入行"
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="staged_row_once")
        ]

    def __str__(self) -> str:
        return f"第 {self.row_number} 行"


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
