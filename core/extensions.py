"""The one way a lower floor lets a higher one add to it: an extension point.

A lower floor declares a ``Point`` where it consumes the additions (the import runner's file kinds,
the eligibility check's sources of bills, the fund's outlays …); the higher floors' additions are
connected in one place, ``portal/wiring.py``, when the portal starts. So a lower floor never imports a
higher one, and a newcomer finds every link between floors in one file. ``POINTS`` lists them all.
"""

from __future__ import annotations

from collections.abc import Iterator

POINTS: list[Point[object]] = []


class Point[T]:
    """Named additions, in order of ``position`` (then of connection); one per key."""

    def __init__(self, name: str, doc: str) -> None:
        self.name, self.doc = name, doc
        self._items: dict[str, tuple[int, int, T]] = {}
        POINTS.append(self)  # type: ignore[arg-type]

    def provide(self, key: str, item: T, *, position: int = 0) -> None:
        """Add (or, connected again with the same key, replace) ``item``."""
        order = self._items[key][1] if key in self._items else len(self._items)
        self._items[key] = (position, order, item)

    def get(self, key: str) -> T | None:
        found = self._items.get(key)
        return found[2] if found else None

    def keys(self) -> list[str]:
        return [k for k, _ in sorted(self._items.items(), key=lambda kv: kv[1][:2])]

    def __iter__(self) -> Iterator[T]:
        return iter(item for _p, _o, item in sorted(self._items.values(), key=lambda v: v[:2]))

    def __repr__(self) -> str:
        return f"<Point {self.name}: {', '.join(self.keys())}>"
