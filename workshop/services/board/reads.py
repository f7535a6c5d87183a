"""Board reads: the snapshot every audience is shown, and each phone's own figures.

A snapshot is a few aggregate queries whatever the room; the live layer takes
one per flush and shares it (see live/broadcast.py).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import func, text
from sqlmodel import Session, select

from workshop.domain import phases, rules, tally
from workshop.domain.planning import NeedDemand, NeedStatus, ThemeRule, need_status
from workshop.domain.text import normalise
from workshop.models import Collectivite, Demand, Need, Participant, Seance, Theme, Vote
from workshop.services.prepared import Prepared


def horizon(seance: Seance) -> range:
    return range(seance.horizon_start, seance.horizon_start + seance.horizon_years)


def theme_rule(theme: Theme) -> ThemeRule:
    """A catalogue theme as the plan engine and the per-year status read it."""
    return ThemeRule(theme.code, theme.name, theme.threshold, theme.max_group, theme.days,
                     theme.financing, theme.financing_reason, theme.recurrence_years, theme.poolable,
                     theme.kind, theme.cost_per_day, theme.renewal_days)


@dataclass
class NeedView:
    need: Need
    theme: Theme
    by_year: dict[int, int]
    collectivites: int  # how many declared agents
    status: NeedStatus  # per year, by the plan's own rule (domain.planning.need_status)
    rank: int = 0
    score: int | float = 0
    dots: int = 0
    voters: int = 0
    ratio: float = 0.0  # dots against the best need's, for the bars


@dataclass(frozen=True)
class People:
    collectivite_id: int
    name: str
    count: int


@dataclass
class Board:
    seance: Seance
    needs: list[NeedView]  # visible, ranked in vote and later phases, else oldest first
    hidden: list[NeedView]
    merged: list[tuple[Need, Need]]  # (source, target)
    people: list[People] = field(default_factory=list)  # who joined, most first
    # Declared agents of every need of the séance (hidden and merged ones too):
    # need -> (collectivité, year) -> agents. The one read of the demand rows, for the
    # board's totals, the plan's input and the exports.
    demand: dict[int, dict[tuple[int, int], int]] = field(default_factory=dict)
    # need -> the agents' categories (A, B, C) said in its declarations, in order.
    categories: dict[int, tuple[str, ...]] = field(default_factory=dict)
    # Who has voted, from the same totals as the ranking (tally.participation): the screen's
    # "18 participants sur 24 ont voté · 81 gommettes sur 120".
    participation: tally.Participation = tally.Participation(0, 0, 0, 0, 0)
    # Whether `needs` is in rank order (vote and later phases, tallies shown): then, and only
    # then, the screen's cards show their rank (numbers out of order read as a bug).
    by_rank: bool = False

    @property
    def ranked(self) -> list[NeedView]:
        return sorted(self.needs, key=lambda v: v.rank)

    @property
    def participants(self) -> int:
        return sum(p.count for p in self.people)


# The vote summed up by the database (see `_vote_totals`), compiled once and run on the
# driver's cursor (`prepared`): the live layer asks up to ten times a second while a room
# votes, and SQLAlchemy's per-call work (building, caching, wrapping the rows) cost as much as
# SQLite running them.
_COUNTED = ("vote.dots > 0 AND need.hidden = :false AND need.merged_into_id IS NULL")
_TOTALS = Prepared(text(
    "SELECT participant.collectivite_id, vote.need_id, SUM(vote.dots), COUNT(*) FROM vote "
    "JOIN participant ON participant.id = vote.participant_id "
    "JOIN need ON need.id = vote.need_id "
    f"WHERE vote.seance_id = :seance AND {_COUNTED} "
    "GROUP BY participant.collectivite_id, vote.need_id"))
_VOTERS = Prepared(text(
    "SELECT participant.collectivite_id, COUNT(*), "
    "COUNT(CASE WHEN participant.is_proxy THEN participant.id END) FROM participant "
    "WHERE participant.seance_id = :seance AND EXISTS (SELECT 1 FROM vote "
    "JOIN need ON need.id = vote.need_id "
    f"WHERE vote.participant_id = participant.id AND {_COUNTED}) "
    "GROUP BY participant.collectivite_id"))


def _vote_totals(db: Session, seance_id: int) -> tally.Totals:
    """The vote summed up by the database, on visible needs only (hidden ones release their dots).

    Two GROUP BY queries whatever the room, both answered from the covering index
    `ix_vote_tally` (seance, participant, need, dots): the dots and voters of each
    need per collectivité (one vote row per participant and need, `uq_vote`, so a
    row count is a count of voters), and the voters of each collectivité (a
    participant counts once, whatever they voted for).
    """
    connection = db.connection()
    raw, dialect = connection.connection.dbapi_connection, connection.dialect
    params = {"seance": seance_id, "false": False}
    rows = _TOTALS.run(raw, dialect, params).fetchall()
    # Per collectivité: who voted, and how many of them are proxies (the screen's participation).
    voters = _VOTERS.run(raw, dialect, params).fetchall()
    total = tally.Totals(collectivite_voters={c: n for c, n, _ in voters},
                         proxy_voters=sum(p for _, _, p in voters))
    for collectivite, need, dots, people in rows:
        total.by_collectivite[(collectivite, need)] = int(dots)
        total.dots[need] = total.dots.get(need, 0) + int(dots)
        total.voters[need] = total.voters.get(need, 0) + people
    return total


def demand_of(db: Session, seance_id: int) -> dict[int, dict[tuple[int, int], int]]:
    """Every declared figure of a séance: need -> (collectivité, year) -> agents (> 0)."""
    return _demand_rows(db, seance_id)[0]


def _demand_rows(db: Session, seance_id: int) -> tuple[dict, dict[int, tuple[str, ...]]]:
    """The one read of the demand rows: the figures, and each need's categories."""
    demand: dict[int, dict[tuple[int, int], int]] = defaultdict(dict)
    categories: dict[int, set[str]] = defaultdict(set)
    for need_id, collectivite_id, year, agents, category in db.exec(
            select(Demand.need_id, Demand.collectivite_id, Demand.year, Demand.agents,
                   Demand.category)
            .join(Need).where(Need.seance_id == seance_id, Demand.agents > 0)):
        demand[need_id][(collectivite_id, year)] = agents
        if category:
            categories[need_id].add(category)
    return dict(demand), {n: tuple(sorted(c)) for n, c in categories.items()}


@lru_cache(maxsize=8192)
def _status(rule: ThemeRule, demand: frozenset, kind: str | None, pool_years: int | None,
            years: tuple[int, ...]) -> NeedStatus:
    """`need_status` of one need, kept while its inputs stay the same: a room voting changes no
    demand, and the live layer takes a snapshot up to ten times a second. (The status is a
    frozen value of its inputs alone: the need's id and title do not enter it.)"""
    return need_status(NeedDemand(0, "", rule, dict(demand), 0, kind=kind, pool_years=pool_years),
                       years)


def snapshot(db: Session, seance: Seance) -> Board:
    """The whole board in a few aggregate queries, for the screen, the facilitator and the JSON."""
    rows = db.exec(select(Need, Theme).join(Theme).where(Need.seance_id == seance.id)
                   .order_by(Need.id)).all()
    total = _vote_totals(db, seance.id)
    people = [People(cid, name, n) for cid, name, n in db.exec(
        select(Collectivite.id, Collectivite.name, func.count(Participant.id))
        .join(Participant, Participant.collectivite_id == Collectivite.id)
        .where(Participant.seance_id == seance.id, Participant.is_proxy.is_(False))
        .group_by(Collectivite.id, Collectivite.name))]
    people.sort(key=lambda p: (-p.count, p.name))

    demand, categories = _demand_rows(db, seance.id)
    years = tuple(horizon(seance))
    by_year: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    sharing: dict[int, set[int]] = defaultdict(set)
    for need_id, figures in demand.items():
        for (collectivite_id, year), agents in figures.items():
            by_year[need_id][year] += agents
            sharing[need_id].add(collectivite_id)
    views = {need.id: NeedView(need, theme, dict(by_year[need.id]), len(sharing[need.id]),
                               _status(theme_rule(theme), frozenset(demand.get(need.id, {}).items()),
                                     need.kind, need.pool_years, years))
             for need, theme in rows}
    visible = [n for n, theme in rows if not n.hidden and n.merged_into_id is None]
    ranking = tally.rank_totals([n.id for n in visible], total, seance.weighting,
                                {n: v.status.total for n, v in views.items()},
                                {n: len(s) for n, s in sharing.items()})
    top = max((r.score for r in ranking), default=0) or 1
    for r in ranking:
        view = views[r.need_id]
        view.rank, view.score, view.dots, view.voters = r.rank, tally.display_score(r.score), \
            r.dots, r.voters
        view.ratio = float(r.score / top)
    ordered = [views[n.id] for n in visible]
    by_rank = phases.PHASES.index(seance.phase) >= phases.PHASES.index("vote") \
        and seance.tallies_visible
    if by_rank:
        ordered.sort(key=lambda v: v.rank)
    return Board(
        seance=seance,
        needs=ordered,
        hidden=[views[n.id] for n, _ in rows if n.hidden and n.merged_into_id is None],
        merged=[(n, views[n.merged_into_id].need) for n, _ in rows if n.merged_into_id],
        people=people,
        demand=demand,
        categories=categories,
        participation=tally.participation(total, sum(p.count for p in people), seance.dot_budget),
        by_rank=by_rank,
    )


@dataclass
class Mine:
    """What one phone shows of its own: its dots, and its collectivité's agents."""

    allocation: dict[int, int]
    ours: dict[int, dict[int, int]]  # need -> year -> agents
    left: int


def mine(db: Session, seance: Seance, participant: Participant) -> Mine:
    allocation = dict(db.exec(select(Vote.need_id, Vote.dots).join(Need)
                              .where(Vote.participant_id == participant.id, Vote.dots > 0,
                                     Need.hidden.is_(False))).all())
    return Mine(allocation, ours(db, seance, participant.collectivite_id),
                rules.dots_left(seance.dot_budget, sum(allocation.values())))


def mine_many(db: Session, seance: Seance,
              participants: list[Participant]) -> dict[int, Mine]:
    """`mine` for many phones at once (a merge tells each voter): two queries, not two each."""
    ids = [p.id for p in participants]
    allocations: dict[int, dict[int, int]] = defaultdict(dict)
    for pid, need_id, dots in db.exec(select(Vote.participant_id, Vote.need_id, Vote.dots)
                                      .join(Need).where(Vote.participant_id.in_(ids),
                                                        Vote.dots > 0, Need.hidden.is_(False))):
        allocations[pid][need_id] = dots
    declared: dict[int, dict[int, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for cid, need_id, year, agents in db.exec(
            select(Demand.collectivite_id, Demand.need_id, Demand.year, Demand.agents).join(Need)
            .where(Need.seance_id == seance.id,
                   Demand.collectivite_id.in_({p.collectivite_id for p in participants}),
                   Demand.agents > 0)):
        declared[cid][need_id][year] = agents
    return {p.id: Mine(dict(allocations[p.id]), dict(declared[p.collectivite_id]),
                       rules.dots_left(seance.dot_budget, sum(allocations[p.id].values())))
            for p in participants}


def ours(db: Session, seance: Seance, collectivite_id: int) -> dict[int, dict[int, int]]:
    """A collectivité's declared agents: need -> year -> agents."""
    result: dict[int, dict[int, int]] = defaultdict(dict)
    for need_id, year, agents in db.exec(
            select(Demand.need_id, Demand.year, Demand.agents).join(Need)
            .where(Need.seance_id == seance.id, Demand.collectivite_id == collectivite_id,
                   Demand.agents > 0)):
        result[need_id][year] = agents
    return dict(result)


def ours_for(db: Session, need_id: int, collectivite_id: int) -> dict[int, int]:
    """One collectivité's agents on one need: year -> agents."""
    return dict(db.exec(select(Demand.year, Demand.agents).where(
        Demand.need_id == need_id, Demand.collectivite_id == collectivite_id,
        Demand.agents > 0)).all())


def ours_of(db: Session, need_id: int, collectivite_ids) -> dict[int, dict[int, int]]:
    """Several collectivités' agents on one need, in one query: collectivité -> year -> agents."""
    result: dict[int, dict[int, int]] = defaultdict(dict)
    for cid, year, agents in db.exec(select(Demand.collectivite_id, Demand.year, Demand.agents)
                                     .where(Demand.need_id == need_id,
                                            Demand.collectivite_id.in_(list(collectivite_ids)),
                                            Demand.agents > 0)):
        result[cid][year] = agents
    return dict(result)


def spent(db: Session, seance_id: int) -> dict[int, int]:
    """Dots each participant has on the visible needs, in one query."""
    return dict(db.exec(select(Vote.participant_id, func.sum(Vote.dots)).join(Need)
                        .where(Vote.seance_id == seance_id, Vote.dots > 0,
                               Need.hidden.is_(False)).group_by(Vote.participant_id)).all())


def concerned(db: Session, need_id: int) -> list[Participant]:
    """Participants with dots on a need."""
    return list(db.exec(select(Participant).join(Vote)
                        .where(Vote.need_id == need_id, Vote.dots > 0)))


def declaring(db: Session, need_id: int) -> set[int]:
    """Collectivités with agents declared on a need."""
    return set(db.exec(select(Demand.collectivite_id)
                       .where(Demand.need_id == need_id, Demand.agents > 0)))


def themes(db: Session) -> list[Theme]:
    """The active themes by domain then name, in the order a reader expects: accents and case
    aside ("Élections" between "Eau" and "Espaces verts", not after "Voirie", where the
    database's byte order put it)."""
    rows = db.exec(select(Theme).where(Theme.active)).all()
    return sorted(rows, key=lambda t: (normalise(t.domain), normalise(t.name)))


def authors(db: Session, need_ids) -> dict[int, str]:
    """need id -> the name of the collectivité of the participant who added it (needs a
    facilitator added have none). One query."""
    ids = sorted(set(need_ids))
    if not ids:
        return {}
    return dict(db.exec(select(Need.id, Collectivite.name)
                        .join(Participant, Participant.id == Need.author_id)
                        .join(Collectivite, Collectivite.id == Participant.collectivite_id)
                        .where(Need.id.in_(ids))).all())
