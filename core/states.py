"""State fields and their one writer: a declared table of moves per field.

Every field that holds a state (a case's status, an import's, a payment line's …) is declared once,
next to its model, as a ``Machine``: the moves it allows (target: the states it may come from) and
the module that is its one writer. Writes go only through ``move``/``move_many`` (a conditional
UPDATE: the row moves only from a declared source, so a second click or a second worker finds it
moved and changes nothing; the caller says so in Chinese) or, for a writer that holds the rows'
lock and saves many fields at once, ``step`` (checks the move, then sets the attribute). A target the table does not declare is a
programming error (``UndeclaredMove``). ``tests/core/test_states.py`` holds the code to this: no
other line of the project assigns or updates a declared field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q

MACHINES: list[Machine] = []


class UndeclaredMove(ValueError):
    """A move the field's table does not declare: a programming error, never a user's mistake."""


@dataclass(frozen=True)
class Machine:
    """The declared moves of ``model.field`` (target: the states it may come from)."""

    model: type[models.Model]
    field: str
    moves: Mapping[str, frozenset[str]]
    writer: str  # the module that alone writes the field, e.g. "payments.recoveries"
    label: str = ""

    def __post_init__(self) -> None:
        model_field = self.model._meta.get_field(self.field)
        choices = {value for value, _ in getattr(model_field, "choices", None) or ()}
        if getattr(model_field, "blank", False):
            choices.add("")  # not answered yet
        named = set(self.moves) | set().union(*self.moves.values())
        unknown = named - choices
        if unknown:
            raise UndeclaredMove(f"{self.name}: states not among the field's choices: {unknown}")
        MACHINES.append(self)

    @property
    def name(self) -> str:
        return f"{self.model._meta.label}.{self.field}"

    def sources(self, to: str) -> frozenset[str]:
        if to not in self.moves:
            raise UndeclaredMove(f"{self.name}: no move to {to!r} is declared")
        return self.moves[to]

    def move_many(
        self, rows: models.QuerySet[Any], to: str, *, where: Q | None = None, **also: Any
    ) -> int:
        """Move every row of ``rows`` that stands in a declared source (and meets ``where``) to
        ``to``, with ``also`` written in the same UPDATE; returns how many moved."""
        sources = self.sources(to)
        return rows.filter(where or Q(), **{f"{self.field}__in": sources}).update(
            **{self.field: to}, **also
        )

    def move(self, obj: models.Model, to: str, *, where: Q | None = None, **also: Any) -> bool:
        """Move one row by a conditional UPDATE; the object is refreshed from what was written.
        False when the row did not stand in a declared source (or ``where`` did not hold)."""
        moved = self.move_many(
            type(obj)._default_manager.filter(pk=obj.pk), to, where=where, **also
        )
        if moved:
            obj.refresh_from_db(fields=[self.field, *also])
        return bool(moved)

    def step(self, obj: models.Model, to: str) -> str:
        """Set the state in memory, for a writer that holds the row's lock and saves it with other
        fields (``save(update_fields=…)``, ``bulk_update``); returns the old state."""
        before = getattr(obj, self.field)
        if before not in self.sources(to):
            raise UndeclaredMove(f"{self.name}: {before!r} -> {to!r} is not a declared move")
        setattr(obj, self.field, to)
        return before
