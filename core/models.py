"""The ground floor's tables: number counters and the outbox of queued tasks."""

from __future__ import annotations

from django.db import models


class Counter(models.Model):
    """The last number handed out in a scope (``application:150121:20261127``,
    ``payment-batch:150121:20261127``). Incremented in one statement under the row's lock, so two
    transactions never get the same number (``core.numbering.next_in``)."""

    scope = models.CharField("范围", max_length=100, unique=True)
    last = models.PositiveBigIntegerField("最近编号", default=0)

    class Meta:
        verbose_name = "编号计数器"
        verbose_name_plural = "编号计数器"

    def __str__(self) -> str:
        return f"{self.scope}: {self.last}"


class QueuedTask(models.Model):
    """A task written in the same transaction as the work that asked for it (a transactional
    outbox). ``core.queueing`` publishes it after the commit; the row stays until a worker has run
    the task to its end (its effect, a letter row or an SMS attempt, is recorded), because a
    broker restarted without persistence loses what it held. What the broker could not take, or
    took and never delivered, the relay (beat, every OUTBOX_RELAY_SECONDS) sends again."""

    task = models.CharField("任务", max_length=200)
    args = models.JSONField("参数", default=list)
    created_at = models.DateTimeField("登记时间", auto_now_add=True, db_index=True)
    attempts = models.PositiveIntegerField("发送失败次数", default=0)
    last_tried_at = models.DateTimeField("最近尝试", null=True, blank=True)
    last_error = models.CharField("最近错误", max_length=500, blank=True)
    published_at = models.DateTimeField("交给任务队列的时间", null=True, blank=True)
    sends = models.PositiveIntegerField("已交给任务队列的次数", default=0)

    class Meta:
        verbose_name = "待发送的后台任务"
        verbose_name_plural = "待发送的后台任务"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"


class CacheEntry(models.Model):
    """Django's database cache table (``DatabaseCache``'s own three columns), made by a migration
    rather than ``createcachetable``: where every gunicorn process keeps the status page's rate
    limits while Redis is away (``core.cache.SharedFallbackCache``)."""

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "core_cache"
        verbose_name = "共享缓存（Redis 不可用时）"
        verbose_name_plural = "共享缓存（Redis 不可用时）"

    def __str__(self) -> str:
        return self.cache_key
