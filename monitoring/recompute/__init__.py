"""The nightly recompute: each person's yearly burden, and the warnings that follow from it.

Seed 001 §五(一): a year's medical costs, after basic medical insurance and critical-illness
insurance, above last year's rural per-capita disposable income → 因病致贫 monitoring; above 50%
of it → 因病返贫 monitoring. Both shares and the income are policy parameters
(``monitoring.poverty_share``, ``monitoring.return_share``, ``rural_income``). Where a city switches
on ``monitoring.caps`` (seed 004), people with a hardship identity whose burden after every layer
exceeds ``fund.person_cap``, and households above ``fund.household_cap``, form a second list.

**Incremental**: a run looks only at the people whose data changed since the last finished run
started (hospital records imported, applications and their bills, decisions in the yearly ledger,
identities, the person's township or household), plus their household members. A new policy
version, or no earlier run, makes it a full run.

**Never duplicated**: a warning is unique per (person, year, list) in the database; a run creates
missing ones with ``ignore_conflicts`` and otherwise updates, escalates, reopens or closes the one
there is. On PostgreSQL an advisory lock keeps a second run from doing the same work at once.

The rooms: ``thresholds`` (the lines), ``changes`` (whose data changed), ``sums`` (the yearly sums),
``warnings`` (what follows from them) and ``run`` (a run, in steps, recorded).
"""

from .run import monitoring_recompute
from .thresholds import priority_of

__all__ = ["monitoring_recompute", "priority_of"]
