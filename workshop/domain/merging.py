"""The room's invariants when needs are merged, hidden, shown or the vote settings change.

DOMAIN.md, "Regroupement": in a merge, demands of *different* collectivités add
up; for *one* collectivité and year the merged need keeps the larger of its
figures (the same agents were declared twice) and the facilitator is told; a
participant's dots add up to the cap per need, and the rest go back to their
budget. And whatever the sequence of actions, no participant ever counts more
than the budget in all, nor more than the cap on one need: dots that no longer
fit go back to the participant, who is told.

Pure functions over plain mappings: the services read the rows, call these, and
write what they return (with the event that lets a merge be undone).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

Cell = tuple[int, int]  # (collectivite_id, year)


@dataclass(frozen=True)
class Overlap:
    """One collectivité declared agents for one year on both needs."""

    collectivite_id: int
    year: int
    target: int  # agents on the need kept
    source: int  # agents on the duplicate

    @property
    def kept(self) -> int:
        return max(self.target, self.source)


@dataclass(frozen=True)
class MergedDemand:
    agents: dict[Cell, int]  # the merged need's figure per (collectivité, year)
    overlaps: list[Overlap] = field(default_factory=list)  # to tell the facilitator


def merge_demand(target: Mapping[Cell, int], source: Mapping[Cell, int]) -> MergedDemand:
    """Demand of a merged need: one figure per collectivité and year.

    >>> merge_demand({(1, 2027): 5}, {(1, 2027): 5, (2, 2027): 3}).agents
    {(1, 2027): 5, (2, 2027): 3}
    """
    agents = {cell: n for cell, n in target.items() if n > 0}
    overlaps = []
    for cell, n in sorted(source.items()):
        if n <= 0:
            continue
        if cell in agents:
            overlaps.append(Overlap(cell[0], cell[1], agents[cell], n))
            agents[cell] = max(agents[cell], n)
        else:
            agents[cell] = n
    return MergedDemand(agents, overlaps)


@dataclass(frozen=True)
class MergedDots:
    dots: dict[int, int]  # participant -> dots on the merged need (at most the cap)
    returned: dict[int, int]  # participant -> dots given back to their budget


def merge_dots(target: Mapping[int, int], source: Mapping[int, int], cap: int) -> MergedDots:
    """A participant's dots on two duplicates add up on the merged need, to the cap.

    >>> merge_dots({7: 3}, {7: 2, 8: 1}, cap=3)
    MergedDots(dots={7: 3, 8: 1}, returned={7: 2})
    """
    dots: dict[int, int] = {}
    returned: dict[int, int] = {}
    for participant in sorted(set(target) | set(source)):
        total = max(target.get(participant, 0), 0) + max(source.get(participant, 0), 0)
        if total <= 0:
            continue
        dots[participant] = min(total, cap)
        if total > cap:
            returned[participant] = total - cap
    return MergedDots(dots, returned)


@dataclass(frozen=True)
class Fit:
    kept: dict[int, int]  # need -> dots that stay
    returned: dict[int, int]  # need -> dots given back to the participant's budget

    @property
    def total_returned(self) -> int:
        return sum(self.returned.values())


def fit(allocations: Iterable[tuple[int, int]], budget: int, cap: int) -> Fit:
    """One participant's dots brought back within the budget and the cap.

    `allocations` are (need_id, dots) on the needs that count (visible, not merged),
    in the order they keep their dots: the caller lists first what was placed first,
    so that what comes back to the board (a need shown again) gives way, never a
    choice the participant made since.

    >>> fit([(1, 3), (2, 2), (3, 3)], budget=5, cap=3)
    Fit(kept={1: 3, 2: 2, 3: 0}, returned={3: 3})
    """
    left = max(budget, 0)
    kept: dict[int, int] = {}
    returned: dict[int, int] = {}
    for need_id, dots in allocations:
        dots = max(dots, 0)
        keep = min(dots, max(cap, 0), left)
        kept[need_id] = keep
        left -= keep
        if dots > keep:
            returned[need_id] = dots - keep
    return Fit(kept, returned)
