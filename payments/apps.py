from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"
    verbose_name = "救助金发放"

    def ready(self) -> None:
        # the fund's books (a lower floor) read subsidies transferred and recoveries refunded
        from settlements.funds import register_outlay

        from .transfers import refunded_in, transferred_in

        register_outlay("subsidy", "资助参保（已划转）", transferred_in, position=30)
        register_outlay("recovery", "追回（冲减）", refunded_in, position=40)
