"""Reads of the settlements app for other pages."""

from __future__ import annotations

from beneficiaries.models import Person

from .models import YearLedger


def ledger_of(person: Person, year: int) -> YearLedger | None:
    """The person's yearly ledger, or None before any approved settlement that year."""
    return YearLedger.objects.filter(person=person, year=year).first()
