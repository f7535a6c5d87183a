"""Weighting and ranking of the dot vote.

Weighting per participant: a need's score is the sum of its dots. Weighting
per collectivité: each collectivité carries the weight of one participant's
budget whatever the number of its people in the room, so a collectivité's
dots are divided by the number of its participants who voted: a big town
with ten people does not drown a village with one.

Ties are broken by demand (declared agents), then by how many collectivités
share the need, then by the need's age (oldest first): the order is total
and deterministic.
"""

from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Ballot:
    participant_id: int
    collectivite_id: int
    need_id: int
    dots: int


@dataclass(frozen=True)
class Ranked:
    need_id: int
    rank: int
    score: Fraction
    dots: int
    voters: int


def scores(ballots: list[Ballot], weighting: str) -> dict[int, Fraction]:
    if weighting == "collectivite":
        voters: dict[int, set[int]] = defaultdict(set)
        for b in ballots:
            if b.dots:
                voters[b.collectivite_id].add(b.participant_id)
        result: dict[int, Fraction] = defaultdict(Fraction)
        for b in ballots:
            if b.dots:
                result[b.need_id] += Fraction(b.dots, len(voters[b.collectivite_id]))
        return dict(result)
    result = defaultdict(Fraction)
    for b in ballots:
        result[b.need_id] += b.dots
    return dict(result)


def rank(
    need_ids: list[int],
    ballots: list[Ballot],
    weighting: str,
    demand: dict[int, int],
    sharing: dict[int, int],
) -> list[Ranked]:
    """Rank needs (given oldest first) by weighted score, then demand, then sharing."""
    score = scores(ballots, weighting)
    dots: dict[int, int] = defaultdict(int)
    voters: dict[int, set[int]] = defaultdict(set)
    for b in ballots:
        if b.dots:
            dots[b.need_id] += b.dots
            voters[b.need_id].add(b.participant_id)
    age = {need_id: i for i, need_id in enumerate(need_ids)}
    ordered = sorted(
        need_ids,
        key=lambda n: (-score.get(n, 0), -demand.get(n, 0), -sharing.get(n, 0), age[n]),
    )
    return [
        Ranked(n, i + 1, score.get(n, Fraction(0)), dots.get(n, 0), len(voters.get(n, ())))
        for i, n in enumerate(ordered)
    ]


def display_score(score: Fraction) -> str:
    """'7' or '6,5': French decimal comma, one decimal at most."""
    if score.denominator == 1:
        return str(score.numerator)
    return f"{float(score):.1f}".replace(".", ",")
