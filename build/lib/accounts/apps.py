from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "账号与权限"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (sign-in events -> audit trail)
