from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "救助申请"

    def ready(self) -> None:
        # the fund's books (a lower floor) read the window's approvals through this
        from settlements.funds import register_outlay

        from .selectors import window_outlays

        register_outlay("window", "窗口救助（经审批）", window_outlays, position=10)
