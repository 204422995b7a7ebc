from celery import shared_task

from .recompute import monitoring_recompute


@shared_task(ignore_result=True, acks_late=True)
def recompute_monitoring(full: bool = False) -> None:
    """Bring burdens and warnings up to date (incremental unless ``full``).

    Idempotent: a second delivery finds nothing changed since the run it follows, and warnings are
    unique per person, year and list; on PostgreSQL a run already under way makes this one return.
    """
    monitoring_recompute(full=full)


@shared_task(ignore_result=True, acks_late=True)
def monthly_reports() -> int:
    """Beat, daily: on the month's first working day, last month's 医疗救助统计月报 for every county
    and city (idempotent: a report already made is kept)."""
    from .monthly import monthly_reports_due

    return monthly_reports_due()
