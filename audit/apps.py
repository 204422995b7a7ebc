from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "审计日志"

    def ready(self) -> None:
        from .db import register

        connection_created.connect(register, dispatch_uid="audit_delete_allowed")
