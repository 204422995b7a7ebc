"""Every write to the administrative areas goes through here (and so into the audit trail)."""

from typing import Any

from django.db import transaction

from audit.services import save_audited

from .models import City, County, Township


@transaction.atomic
def city_save(*, city: City, actor: Any) -> City:
    save_audited(instance=city, actor=actor)
    return city


@transaction.atomic
def county_save(*, county: County, actor: Any) -> County:
    save_audited(instance=county, actor=actor)
    return county


@transaction.atomic
def township_save(*, township: Township, actor: Any) -> Township:
    save_audited(instance=township, actor=actor)
    return township
