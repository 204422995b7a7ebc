from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "monitoring"
    verbose_name = "因病致贫返贫监测"

    def ready(self) -> None:
        # Monitoring stands above the registry: it hands the registry's import runner the
        # hospital's settlement files, and is told when an import is applied (the higher floor
        # owns the orchestration; the registry never imports monitoring).
        from beneficiaries import services as registry
        from beneficiaries.models import IdentityImport

        from . import hospital_import

        registry.register_file_kind(
            IdentityImport.Content.HOSPITAL,
            registry.FileKind(
                hospital_import.LAYOUT,
                hospital_import.process,
                hospital_import.count,
                hospital_import.done,
            ),
        )
        registry.on_import_applied(_recompute_after_import)


def _recompute_after_import(batch: object) -> None:
    """New bills and identities reach the warnings now rather than at night."""
    from core.queueing import enqueue

    enqueue("monitoring.tasks.recompute_monitoring")
