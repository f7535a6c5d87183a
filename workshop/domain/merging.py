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

from rapidfuzz import fuzz

from workshop.domain.text import normalise

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


Step = tuple[str, Mapping]  # ("set" | "add" | "at_most", {key: figure})


def replay(start: Mapping, steps: Iterable[Step], combine) -> dict:
    """A kept need's figures recomputed from its history, without what is no longer merged.

    `start`: the figures before the first merge still in force (key -> figure); `steps`, in
    order: ("set", ...) what a person set (a vote, a declaration: the figure becomes it),
    ("add", ...) a duplicate still merged (`combine(figure, theirs)`: up to the cap for dots,
    the larger for agents), ("at_most", ...) a limit applied since (dots given back, the cap
    a merge applied). Every key met is in the result (0 when nothing is left).

    >>> replay({7: 1}, [("add", {7: 2}), ("at_most", {7: 2}), ("set", {8: 1})],
    ...        lambda a, b: a + b)
    {7: 2, 8: 1}
    """
    figures = dict(start)
    for kind, given in steps:
        for key, n in given.items():
            if kind == "set":
                figures[key] = n
            elif kind == "add":
                figures[key] = combine(figures.get(key, 0), n)
            elif kind == "at_most":
                figures[key] = min(figures.get(key, 0), n)
            else:
                raise ValueError(kind)
    return figures


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


@dataclass(frozen=True)
class Merges:
    """Where each merged need of a file ends (`merge_roots`)."""

    roots: dict  # merged need -> the need its chain ends on (not merged itself)
    loops: list  # needs merged into themselves, directly or through a cycle (in file order)


def merge_roots(merged_into: Mapping) -> Merges:
    """Follow each need's `merged_into` to the need that holds its figures now.

    A chain a -> b -> c (nested merges) ends on c: a and b both map to c. A need merged
    into itself, or into a cycle (a -> b -> a), ends nowhere: it is in `loops`, and so is
    every need whose chain runs into a cycle (their figures would count on no need).

    >>> merge_roots({"a": "b", "b": "c", "c": None, "d": "d", "e": "f", "f": "e", "g": "e"})
    Merges(roots={'a': 'c', 'b': 'c'}, loops=['d', 'e', 'f', 'g'])
    """
    roots: dict = {}
    loops: list = []
    for need, into in merged_into.items():
        if into is None:
            continue
        seen = {need}
        while merged_into.get(into) is not None and into not in seen:
            seen.add(into)
            into = merged_into[into]
        if into in seen:
            loops.append(need)
        else:
            roots[need] = into
    return Merges(roots, loops)


@dataclass(frozen=True)
class Candidate:
    """A need as the duplicate finder reads it."""

    id: int
    theme_id: int
    title: str


@dataclass(frozen=True)
class Duplicate:
    """Two needs of the same theme whose titles are close: likely the same need."""

    first: int  # need ids, first < second
    second: int
    score: int  # 0-100, rapidfuzz's token-set ratio of the normalised titles


DUPLICATE_SCORE = 65  # from this score up two titles of one theme are offered for merging
DUPLICATES_SHOWN = 8  # at most this many pairs offered at once, the closest first


def likely_duplicates(needs: Iterable[Candidate], min_score: int = DUPLICATE_SCORE,
                      limit: int = DUPLICATES_SHOWN) -> list[Duplicate]:
    """Pairs of needs of one theme with close titles (issue 15, "Merging"), closest first.

    Titles are compared accents, case and punctuation aside, by word sets (so word
    order and an extra word matter little): "Gestion des conflits" and "Gérer les
    conflits" score 68, "Paie" and "Paye" 75, "CACES R489" and "CACES R489 chariots"
    100; "Excel débutant" and "Excel perfectionnement" (two needs) 56, below.

    >>> [(d.first, d.second) for d in likely_duplicates([Candidate(1, 7, "Gestion des conflits"),
    ...     Candidate(2, 7, "La gestion des conflits"), Candidate(3, 8, "Gestion des conflits")])]
    [(1, 2)]
    """
    by_theme: dict[int, list[tuple[int, str]]] = {}
    for need in needs:
        by_theme.setdefault(need.theme_id, []).append((need.id, normalise(need.title)))
    found = []
    for group in by_theme.values():
        group.sort()
        for i, (a, title_a) in enumerate(group):
            for b, title_b in group[i + 1:]:
                score = round(fuzz.token_set_ratio(title_a, title_b))
                if score >= min_score:
                    found.append(Duplicate(a, b, score))
    found.sort(key=lambda d: (-d.score, d.first, d.second))
    return found[:limit]
