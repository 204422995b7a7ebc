"""Admin pieces every app may use."""

from collections.abc import Mapping
from typing import Any, ClassVar

from django.db import models

from .forms import YuanField


class YuanAdminMixin:
    """Amounts typed on an admin page go through the one amount parser (``core.money``): no
    ``1e5``, full-width digits or thousands separators slip in where the site's forms refuse them."""

    formfield_overrides: ClassVar[Mapping[Any, Mapping[str, Any]]] = {
        models.DecimalField: {"form_class": YuanField},
    }
