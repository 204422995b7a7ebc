"""The applicant online: the one-time codes sent by SMS to the phone on record, and the papers the
applicant uploads from a phone to keep the promise (网上补交), waiting for the window to check them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.states import Machine

from ..materials import MATERIALS
from . import private_storage
from .case import Application


class OnlineCode(models.Model):
    """A 6-digit code sent to the applicant's phone; only its keyed digest is kept."""

    application = models.ForeignKey(
        Application, verbose_name="申请", on_delete=models.CASCADE, related_name="+"
    )
    digest = models.CharField("摘要", max_length=64)
    created_at = models.DateTimeField("发送时间", default=timezone.now)
    expires_at = models.DateTimeField("失效时间")
    tries = models.PositiveSmallIntegerField("输错次数", default=0)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = "短信验证码"
        verbose_name_plural = "短信验证码"
        indexes = [models.Index(fields=["application", "-created_at"], name="online_code_latest")]

    def __str__(self) -> str:
        return f"{self.application_id} {self.created_at:%Y-%m-%d %H:%M}"


def _online_upload_to(instance: OnlineUpload, filename: str) -> str:
    return f"online/{instance.application_id}/{instance.sha256[:16]}{instance.extension}"


class OnlineUpload(models.Model):
    """One photo or PDF of a missing material, uploaded by the applicant; the window confirms it
    (the material is then received, with this file as its scan) or refuses it with a reason."""

    class State(models.TextChoices):
        PENDING = "pending", "待窗口核对"
        ACCEPTED = "accepted", "已确认收到"
        REFUSED = "refused", "未通过"

    application = models.ForeignKey(
        Application, verbose_name="申请", on_delete=models.CASCADE, related_name="online_uploads"
    )
    material = models.CharField("材料", max_length=24, choices=list(MATERIALS.items()))
    file = models.FileField("文件", storage=private_storage, upload_to=_online_upload_to)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("类型", max_length=40)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    submitted_at = models.DateTimeField("上传时间", default=timezone.now)
    state = models.CharField("状态", max_length=8, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="核对人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("核对时间", null=True, blank=True)
    refuse_reason = models.CharField("未通过原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "网上补交材料"
        verbose_name_plural = "网上补交材料"
        ordering = ["application_id", "id"]
        indexes = [models.Index(fields=["state", "application"], name="online_upload_waiting")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="refused") | ~Q(refuse_reason=""),
                name="online_upload_refusal_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(state="pending") | Q(decided_by__isnull=False),
                name="online_upload_decided_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_material_display()}：{self.original_name}"

    @property
    def extension(self) -> str:
        return {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}.get(
            self.content_type, ""
        )


_U = OnlineUpload.State
ONLINE_UPLOAD_STATES = Machine(
    OnlineUpload,
    "state",
    {_U.ACCEPTED: frozenset({_U.PENDING}), _U.REFUSED: frozenset({_U.PENDING})},
    writer="applications.services.online",
    label="网上补交材料",
)
