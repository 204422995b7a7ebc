"""A department's data arriving: its push keys, each import (a file or a push) with its state, its
rows worth a word and the rows a check staged."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.states import Machine

from .people import Department


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
        FEED = "feed", "平台每日文件"

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "已上传，等待检查"
        PREVIEWING = "previewing", "正在检查"
        PREVIEWED = "previewed", "检查完成，等待确认导入"
        APPLYING = "applying", "正在导入"
        APPLIED = "applied", "已导入"
        FAILED = "failed", "失败"

    class Content(models.TextChoices):
        IDENTITIES = "identities", "困难身份数据"
        HOSPITAL = "hospital", "医院结算数据（简表）"
        PLATFORM = "platform", "医保平台结算数据（平台字段）"
        MEDINS = "medins", "定点医药机构名录"

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
    # a system's file (the platform's daily feed, a push): imported once checked, nobody confirms
    auto_apply = models.BooleanField("检查后自动导入", default=False)
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
