from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "审计日志"

    def ready(self) -> None:
        from .db import grant_after_migrate, register

        connection_created.connect(register, dispatch_uid="audit_delete_allowed")
        # once per migrate run (sent for this app after every migration has run)
        post_migrate.connect(grant_after_migrate, sender=self, dispatch_uid="audit_runtime_role")
