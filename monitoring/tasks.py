from celery import shared_task

from .recompute import monitoring_recompute
from .services import early_reports_settle


@shared_task(ignore_result=True, acks_late=True)
def recompute_monitoring(full: bool = False) -> None:
    """Bring burdens and warnings up to date (incremental unless ``full``).

    Idempotent: a second delivery finds nothing changed since the run it follows, and warnings are
    unique per person, year and list; on PostgreSQL a run already under way makes this one return.
    """
    monitoring_recompute(full=full)
    early_reports_settle()  # the settlement records that arrived close the early reports


@shared_task(ignore_result=True, acks_late=True)
def monthly_reports() -> int:
    """Beat, daily: on the month's first working day, last month's 医疗救助统计月报 for every county
    and city (idempotent: a report already made is kept)."""
    from .monthly import monthly_reports_due

    return monthly_reports_due()


@shared_task(ignore_result=True, acks_late=True)
def joint_review_agendas() -> int:
    """Beat, daily: on each county's agenda day (``agenda.workday``), the month's 多部门会商 agenda
    (idempotent: an agenda already made is kept)."""
    from .agenda import agendas_due

    return agendas_due()
