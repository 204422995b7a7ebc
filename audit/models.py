"""The audit trail: who did what, when, to which record, from where. Append-only.

Every change made through a service writes one row, and so does every view of a person's record
(the PIPL-style access log). Rows are never updated or deleted: the model refuses it, and a
database trigger refuses it too (see migration 0002).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .events import Event


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError("审计日志只能追加，不能修改。")

    def delete(self):  # type: ignore[no-untyped-def]
        raise PermissionError("审计日志只能追加，不能删除。")


class AuditEvent(models.Model):
    # the way to its township and county, for accounts.access.scoped
    area_lookups = ("township_id", "county_id")

    class Action(models.TextChoices):
        CREATE = "create", "新建"
        UPDATE = "update", "修改"
        DELETE = "delete", "删除"
        VIEW = "view", "查看个人信息"
        TRANSITION = "transition", "状态变更"
        LOGIN = "login", "登录"
        LOGOUT = "logout", "退出"
        LOGIN_FAILED = "login_failed", "登录失败"
        LOCKOUT = "lockout", "账号锁定"
        EXPORT = "export", "导出"
        SETTLE = "settle", "结算入账"

    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_username = models.CharField("账号", max_length=150, blank=True)
    actor_role = models.CharField("角色", max_length=12, blank=True)
    action = models.CharField("操作", max_length=16, choices=Action.choices)
    # Which operation (audit.events.Event); the action above and the headline follow from it. Null
    # only on rows written before the codes (a nullable column is added without rebuilding the
    # append-only table and its triggers).
    event = models.CharField(  # noqa: DJ001
        "事项", max_length=40, choices=Event.choices, null=True, blank=True, db_index=True
    )
    target_type = models.CharField("对象类型", max_length=60, blank=True)
    target_id = models.CharField("对象编号", max_length=64, blank=True)
    target_repr = models.CharField("对象", max_length=200, blank=True)
    county = models.ForeignKey(
        "areas.County",
        verbose_name="旗县区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    township = models.ForeignKey(
        "areas.Township",
        verbose_name="乡镇（街道）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    summary = models.CharField("说明", max_length=500, blank=True)
    changes = models.JSONField("变更内容", default=dict, blank=True)
    ip = models.GenericIPAddressField("来源地址", null=True, blank=True)
    user_agent = models.CharField("浏览器", max_length=300, blank=True)
    path = models.CharField("页面", max_length=300, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "-at"], name="audit_target_idx"),
            models.Index(fields=["actor", "-at"], name="audit_actor_idx"),
            models.Index(fields=["county", "-at"], name="audit_county_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.headline} {self.target_repr}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not self._state.adding:
            raise PermissionError("审计日志只能追加，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError("审计日志只能追加，不能删除。")

    @property
    def headline(self) -> str:
        """What was done, in Chinese, from the event's code (older rows: the coarse action)."""
        return self.get_event_display() if self.event else self.get_action_display()
