import sys

from django.apps import AppConfig


class BeneficiariesConfig(AppConfig):
    name = "beneficiaries"
    verbose_name = "救助对象"

    def ready(self) -> None:
        # The models live in a package of rooms (beneficiaries/models/), so django-simple-history
        # names their history models after the app itself (``beneficiaries.HistoricalPerson``):
        # make them importable there, for the shell's auto-imports and for pickling.
        from .models import Household, Person

        package = sys.modules[self.name]
        for model in (Person, Household):
            history = model.history.model  # type: ignore[attr-defined]
            if history.__module__ == self.name:
                setattr(package, history.__name__, history)
