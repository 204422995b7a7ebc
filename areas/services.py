"""Every write to counties and townships goes through here (and so into the audit trail); a city,
which names its settlement policy, through ``settlements.services.city_save``."""

from __future__ import annotations

from django.db import transaction

from audit.services import Actor, save_audited

from .models import County, Institution, Township


@transaction.atomic
def county_save(*, county: County, actor: Actor | None) -> County:
    save_audited(instance=county, actor=actor)
    return county


@transaction.atomic
def township_save(*, township: Township, actor: Actor | None) -> Township:
    save_audited(instance=township, actor=actor)
    return township


@transaction.atomic
def institution_save(*, institution: Institution, actor: Actor | None) -> Institution:
    """A register entry corrected by hand (the register itself comes from its file)."""
    save_audited(instance=institution, actor=actor)
    return institution
