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
from dataclasses import dataclass, field
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


@dataclass
class Totals:
    """The vote summed up: what ranking needs, whatever the number of ballots behind it.

    The database can give it with GROUP BY queries (services.board), so that a
    room of 1,000 phones is not 5,000 rows to fetch at every refresh.
    """

    dots: dict[int, int] = field(default_factory=dict)  # need -> dots
    voters: dict[int, int] = field(default_factory=dict)  # need -> participants with dots on it
    by_collectivite: dict[tuple[int, int], int] = field(default_factory=dict)  # (coll., need) -> dots
    collectivite_voters: dict[int, int] = field(default_factory=dict)  # coll. -> voting participants
    proxy_voters: int = 0  # of those, the facilitator's proxies (participation counts them apart)


def totals(ballots: list[Ballot]) -> Totals:
    dots: dict[int, int] = defaultdict(int)
    voters: dict[int, set[int]] = defaultdict(set)
    by_collectivite: dict[tuple[int, int], int] = defaultdict(int)
    collectivite_voters: dict[int, set[int]] = defaultdict(set)
    for b in ballots:
        if b.dots:
            dots[b.need_id] += b.dots
            voters[b.need_id].add(b.participant_id)
            by_collectivite[(b.collectivite_id, b.need_id)] += b.dots
            collectivite_voters[b.collectivite_id].add(b.participant_id)
    return Totals(dict(dots), {n: len(v) for n, v in voters.items()}, dict(by_collectivite),
                  {c: len(v) for c, v in collectivite_voters.items()})


def weighted(total: Totals, weighting: str) -> dict[int, Fraction]:
    if weighting == "collectivite":
        result: dict[int, Fraction] = defaultdict(Fraction)
        for (collectivite, need), dots in total.by_collectivite.items():
            result[need] += Fraction(dots, total.collectivite_voters[collectivite])
        return dict(result)
    return {need: Fraction(dots) for need, dots in total.dots.items()}


def scores(ballots: list[Ballot], weighting: str) -> dict[int, Fraction]:
    return weighted(totals(ballots), weighting)


def rank_totals(need_ids: list[int], total: Totals, weighting: str, demand: dict[int, int],
                sharing: dict[int, int]) -> list[Ranked]:
    """Rank needs (given oldest first) by weighted score, then demand, then sharing."""
    score = weighted(total, weighting)
    age = {need_id: i for i, need_id in enumerate(need_ids)}
    ordered = sorted(
        need_ids,
        key=lambda n: (-score.get(n, 0), -demand.get(n, 0), -sharing.get(n, 0), age[n]),
    )
    return [Ranked(n, i + 1, score.get(n, Fraction(0)), total.dots.get(n, 0),
                   total.voters.get(n, 0)) for i, n in enumerate(ordered)]


def rank(
    need_ids: list[int],
    ballots: list[Ballot],
    weighting: str,
    demand: dict[int, int],
    sharing: dict[int, int],
) -> list[Ranked]:
    return rank_totals(need_ids, totals(ballots), weighting, demand, sharing)


def display_score(score: Fraction) -> int | float:
    """7 or 6.5: a whole number when it is one, else one decimal (formatted where shown)."""
    if score.denominator == 1:
        return score.numerator
    return round(float(score), 1)


@dataclass(frozen=True)
class Participation:
    """How much of the room has voted: "18 participants sur 24 ont voté · 2 saisies pour des
    collectivités · 81 gommettes sur 130".

    Participants are the people who joined with their own phone, on every surface (the screen,
    the facilitator's page, etat.json, the exports); the facilitator's proxies (entries for a
    collectivité without a phone) are said apart. voted: participants with at least one dot on
    a visible need; participants: the people in the room; proxies: the proxies that voted;
    dots: dots on visible needs (proxies' included); possible: (participants + proxies) × the
    budget, so that dots never exceed it.
    """

    voted: int
    participants: int
    proxies: int
    dots: int
    possible: int


def participation(total: Totals, people: int, budget: int) -> Participation:
    """The vote's participation from the totals the ranking reads (no count of its own).

    `people`: participants in the room (proxies excluded); `budget`: dots per participant (the
    séance's setting). Every voter is counted once (one collectivité each), so voted <=
    participants whatever the inputs.
    """
    voted = sum(total.collectivite_voters.values()) - total.proxy_voters
    participants = max(people, voted)
    return Participation(voted, participants, total.proxy_voters, sum(total.dots.values()),
                         (participants + total.proxy_voters) * budget)
