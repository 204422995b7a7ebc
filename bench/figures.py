"""What the benchmarks share to print their figures: the 95th percentile, the ratio in each third of
a run measured in turn with its floor, and the spread of those ratios (``bench/table.py``'s column)."""

from collections.abc import Callable, Sequence


def p95(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def by_thirds(
    portal: Sequence[float],
    floor: Sequence[float],
    measure: Callable[[Sequence[float]], float] = p95,
) -> list[float]:
    """portal ÷ floor in each third of the run, in the order the samples were taken."""
    third = max(1, min(len(portal), len(floor)) // 3)
    return [
        measure(portal[i * third : (i + 1) * third]) / measure(floor[i * third : (i + 1) * third])
        for i in range(3)
        if portal[i * third : (i + 1) * third] and floor[i * third : (i + 1) * third]
    ]


def spread(ratios: Sequence[float]) -> str:
    """The lowest and the highest ratio, as the table shows them (one value when there is one)."""
    if len(ratios) == 1:
        return f"{ratios[0]:.1f}×"
    return f"{min(ratios):.1f}–{max(ratios):.1f}×"
