from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "门户"

    def ready(self) -> None:
        # every link from a higher floor into a lower one (core.extensions), in one file
        from .wiring import connect

        connect()
