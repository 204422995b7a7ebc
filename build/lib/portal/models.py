from django.db import models


class WorkerHeartbeat(models.Model):
    """Last time each Celery worker ran the beat-scheduled heartbeat (shown by /healthz)."""

    worker = models.CharField("worker", max_length=200, unique=True)
    seen_at = models.DateTimeField("最近一次", db_index=True)

    class Meta:
        verbose_name = "后台任务心跳"
        verbose_name_plural = "后台任务心跳"

    def __str__(self) -> str:
        return f"{self.worker} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
