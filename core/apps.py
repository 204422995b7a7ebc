from typing import Any

from django.apps import AppConfig
from django.core import checks


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "系统基础"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models import Field, ForeignObject

        from .lookups import AnyOf

        checks.register(keys_check, checks.Tags.security)
        checks.register(proxies_check, checks.Tags.security)
        Field.register_lookup(AnyOf)  # field__any_of=[…]: one array parameter on PostgreSQL
        ForeignObject.register_lookup(AnyOf)  # (relations keep lookups of their own)


def keys_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The keys of the encrypted identifiers load (well-formed, of the right length) at start-up,
    not at the first lookup."""
    from django.core.exceptions import ImproperlyConfigured

    from .crypto import keyring

    try:
        keyring()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="core.E001")]
    return []


def proxies_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``TRUSTED_PROXIES`` are addresses or networks (a typo would trust nobody, or everybody)."""
    from django.conf import settings

    from .clientaddr import networks

    try:
        networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    except ValueError as exc:
        return [
            checks.Error(
                f"TRUSTED_PROXIES: {exc}（应为地址或网段，如 127.0.0.1,10.0.0.0/8）", id="core.E002"
            )
        ]
    return []
