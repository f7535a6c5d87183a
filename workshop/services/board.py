"""The board of a séance: needs, declared agents and dots.

Every write here is one transaction with its event-log row; the live layer
broadcasts only after it returns. One place applies a vote: `cast_many()`.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from workshop.domain import phases, rules, tally
from workshop.domain.planning import CATEGORIES, NeedDemand, NeedStatus, ThemeRule, need_status
from workshop.domain.rules import Refusal
from workshop.models import Collectivite, Demand, Need, Participant, Seance, Theme, Vote, utcnow
from workshop.schemas import ID_MAX
from workshop.services import events
from workshop.services.prepared import Prepared

TITLE_MAX = 200
DETAILS_MAX = 2000

BAD_CATEGORY = Refusal("categorie_invalide", "La catégorie des agents est A, B ou C.")


def _actor(participant: Participant | None, facilitator_id: int | None) -> str:
    if participant is not None:
        return f"participant:{participant.id}"
    return events.facilitator_actor(facilitator_id)


def open_need(db: Session, seance: Seance, need_id: int) -> Need | Refusal:
    """A need of this séance that still takes agents and dots (not merged, not hidden)."""
    need = db.get(Need, need_id)
    in_seance = need is not None and need.seance_id == seance.id
    return rules.open_need(in_seance, in_seance and need.merged_into_id is not None,
                           in_seance and need.hidden) or need


def _participant_may(seance: Seance, participant: Participant, action: str) -> Refusal | None:
    """Phase rules bind participants; a proxy is exempt from them, not from a closed séance."""
    if participant.seance_id != seance.id:
        return rules.UNKNOWN_PARTICIPANT
    closed = seance.closed_at is not None
    if participant.is_proxy and not closed:
        return None
    return phases.allows(seance.phase, action, closed)


# --- writes -------------------------------------------------------------------


def add_need(db: Session, seance: Seance, theme_id: int | str, title: str, details: str = "", *,
             participant: Participant | None = None, facilitator_id: int | None = None,
             source: str = "participant") -> Need | Refusal:
    if participant is not None:
        refusal = _participant_may(seance, participant, "add_need")
        if refusal:
            return refusal
    elif seance.closed_at is not None:
        return phases.allows(seance.phase, "add_need", closed=True)
    # The theme by id, or by its catalogue code (integrations read codes in etat.json).
    theme = db.get(Theme, theme_id) if isinstance(theme_id, int) else \
        db.exec(select(Theme).where(Theme.code == theme_id)).first()
    if theme is None or not theme.active:
        return rules.UNKNOWN_THEME
    title = " ".join(title.split())
    if not title:
        return rules.EMPTY_TITLE
    need = Need(seance_id=seance.id, theme_id=theme.id, title=title[:TITLE_MAX],
                details=details.strip()[:DETAILS_MAX], source=source,
                author_id=participant.id if participant else None)
    db.add(need)
    db.flush()
    events.record(db, "need.added", _actor(participant, facilitator_id), seance_id=seance.id,
                  need_id=need.id, theme_id=theme.id, title=need.title, source=source)
    db.commit()
    return need


def declare(db: Session, seance: Seance, participant: Participant, need_id: int, year: int,
            agents: int, category: str | None = None) -> Demand | Refusal:
    """One figure per collectivité, need and year: a colleague's entry replaces it.

    `category` (A, B or C) says the agents' category when the participant gives it;
    None leaves the stored one as it is.
    """
    refusal = _participant_may(seance, participant, "declare") \
        or rules.demand(agents, year, horizon(seance))
    if refusal:
        return refusal
    if category is not None and category not in CATEGORIES:
        return BAD_CATEGORY
    need = open_need(db, seance, need_id)
    if isinstance(need, Refusal):
        return need
    need_id, collectivite_id, participant_id = need.id, participant.collectivite_id, participant.id
    for attempt in (1, 2):
        row = db.exec(select(Demand).where(
            Demand.need_id == need_id, Demand.collectivite_id == collectivite_id,
            Demand.year == year).with_for_update()).first()
        previous = row.agents if row else None
        if row is None:
            row = Demand(need_id=need_id, collectivite_id=collectivite_id, year=year,
                         agents=agents)
        row.agents, row.updated_by_id, row.updated_at = agents, participant_id, utcnow()
        if category is not None:
            row.category = category
        db.add(row)
        events.record(db, "demand.declared", f"participant:{participant_id}",
                      seance_id=seance.id, need_id=need_id, collectivite_id=collectivite_id,
                      year=year, agents=agents, previous=previous,
                      **({"category": category} if category else {}))
        try:
            db.commit()
            return row
        except IntegrityError:
            # A colleague's first figure for the same need and year was committed between
            # our read and our insert (FOR UPDATE locks no row that does not exist yet):
            # read again, now their row is there to lock, and ours replaces it.
            db.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@dataclass
class VoteResult:
    need_id: int
    dots: int
    allocation: dict[int, int]
    left: int
    budget: int = 0


def vote(db: Session, seance: Seance, participant: Participant, need_id: int,
         dots: int) -> VoteResult | Refusal:
    """One vote on its own (a proxy entry, the demo): a batch of one (see `cast_many`)."""
    return cast_many(db, [Ballot(seance.id, participant.id, need_id, dots)])[0]


# The vote's statements, compiled once and run on the driver's cursor (see `prepared`). The
# reads take every participant or need of a batch at once (`:ids`, a JSON array of ids):
# a few round trips per batch, not a few per vote, which matters on PostgreSQL.
_IDS = {"sqlite": "(SELECT value FROM json_each(:ids))",
        "postgresql": "(SELECT CAST(jsonb_array_elements_text(CAST(:ids AS jsonb)) AS integer))"}


def _ids(ids) -> str:
    """The `:ids` of a batch: only ids the base can hold (a larger one names nothing)."""
    return json.dumps(sorted({i for i in ids if 0 < i <= ID_MAX}))


def _for_ids(sql: str, *binds) -> dict[str, Prepared]:
    return {name: Prepared(text(sql.format(ids=ids)).bindparams(*binds))
            for name, ids in _IDS.items()}


_VOTERS = _for_ids("SELECT p.id, s.phase, s.closed_at, s.dot_budget, s.max_dots_per_need, s.id "
                   "FROM participant p JOIN seance s ON s.id = p.seance_id WHERE p.id IN {ids}")
_NEEDS = _for_ids("SELECT id, seance_id, hidden, merged_into_id FROM need WHERE id IN {ids}")
_LOCK = Prepared(text("SELECT id FROM participant WHERE id IN {ids} ORDER BY id FOR UPDATE"
                      .format(ids=_IDS["postgresql"])))  # SQLite has one writer: no lock
_ALLOCATIONS = _for_ids(
    "SELECT v.participant_id, v.need_id, v.dots FROM vote v JOIN need n ON n.id = v.need_id "
    "WHERE v.participant_id IN {ids} AND n.hidden = :false",
    bindparam("false", type_=Need.__table__.c.hidden.type))
_UPSERT = Prepared(text(
    "INSERT INTO vote (seance_id, participant_id, need_id, dots, updated_at) "
    "VALUES (:seance, :participant, :need, :dots, :at) "
    "ON CONFLICT (participant_id, need_id) DO UPDATE SET dots = excluded.dots, "
    "updated_at = excluded.updated_at"
).bindparams(bindparam("at", type_=Vote.__table__.c.updated_at.type)))


@dataclass(frozen=True)
class Ballot:
    seance_id: int
    participant_id: int
    need_id: int
    dots: int


def cast_many(db: Session, ballots: list[Ballot]) -> list[VoteResult | Refusal]:
    """Apply votes in order, in one transaction; the only place a vote is applied.

    Each ballot is judged as if alone, after the ones before it (a participant's
    second vote in the batch sees their first). The accepted ones are stored,
    with their event-log rows, by one commit: the live layer gathers the votes
    that arrive together (a group commit) and acknowledges them after it.
    Statements prepared once, on the driver's cursor (no ORM object). Dots on a
    need the facilitator hid are released: they no longer count against the
    budget (they count again if it comes back).
    """
    connection = db.connection()
    raw, dialect = connection.connection.dbapi_connection, connection.dialect
    people = _ids(b.participant_id for b in ballots)
    if dialect.name == "postgresql":  # one participant's votes one at a time, in id order
        _LOCK.run(raw, dialect, {"ids": people})
    voters = {row[0]: row[1:] for row in
              _VOTERS[dialect.name].run(raw, dialect, {"ids": people}).fetchall()}
    needs = {row[0]: row[1:] for row in _NEEDS[dialect.name].run(
        raw, dialect, {"ids": _ids(b.need_id for b in ballots)}).fetchall()}
    allocations: dict[int, dict[int, int]] = defaultdict(dict)
    for pid, need_id, dots in _ALLOCATIONS[dialect.name].run(
            raw, dialect, {"ids": people, "false": False}).fetchall():
        allocations[pid][need_id] = dots
    results: list[VoteResult | Refusal] = []
    writes: list[dict] = []
    logs: list[dict] = []
    for ballot in ballots:
        pid, need_id, dots = ballot.participant_id, ballot.need_id, ballot.dots
        who = voters.get(pid)
        if who is None or who[4] != ballot.seance_id:  # a participant acts in their own séance
            results.append(rules.UNKNOWN_PARTICIPANT)
            continue
        phase, closed_at, budget, max_per_need, _ = who
        refusal = phases.allows(phase, "vote", closed_at is not None)
        if refusal:
            results.append(refusal)
            continue
        need = needs.get(need_id)
        in_seance = need is not None and need[0] == ballot.seance_id
        refusal = rules.open_need(in_seance, in_seance and need[2] is not None,
                                  in_seance and bool(need[1]))
        if refusal:
            results.append(refusal)
            continue
        allocation = allocations[pid]
        refusal = rules.vote(allocation, need_id, dots, budget, max_per_need)
        if refusal:
            results.append(refusal)
            continue
        previous = allocation.get(need_id, 0)
        allocation[need_id] = dots
        at = utcnow()
        writes.append({"seance": ballot.seance_id, "participant": pid, "need": need_id,
                       "dots": dots, "at": at})
        logs.append(events.row("vote.set", f"participant:{pid}", at,
                               seance_id=ballot.seance_id, need_id=need_id, dots=dots,
                               previous=previous))
        results.append(VoteResult(need_id, dots, dict(allocation),
                                  max(budget - sum(allocation.values()), 0), budget))
    if writes:
        _UPSERT.run_many(raw, dialect, writes)
        events.insert_many(raw, dialect, logs)
        db.commit()
    else:
        db.rollback()
    return results


@dataclass
class MergeResult:
    target: Need
    source: Need
    participants: list[int]  # whose dots moved
    collectivites: list[int]  # whose agents moved


def merge(db: Session, seance: Seance, target_id: int, source_id: int,
          facilitator_id: int) -> MergeResult | Refusal:
    """Merge a duplicate into a need: its agents and dots add up on the target.

    The source stays in the database, marked merged; the moved figures are in
    the event so that the merge can be audited.
    """
    target, source = db.get(Need, target_id), db.get(Need, source_id)
    if target is None or source is None:
        return rules.UNKNOWN_NEED
    refusal = rules.mergeable(target.id, source.id, target.merged_into_id is not None,
                              source.merged_into_id is not None,
                              target.seance_id == source.seance_id == seance.id)
    if refusal:
        return refusal
    if target.hidden or source.hidden:
        return Refusal("besoin_masque", "Remettez d'abord ce besoin au tableau pour le regrouper.")
    moved_votes: dict[int, int] = {}
    target_votes = {v.participant_id: v for v in db.exec(select(Vote).where(Vote.need_id == target.id))}
    for v in db.exec(select(Vote).where(Vote.need_id == source.id, Vote.dots > 0)):
        into = target_votes.get(v.participant_id) or Vote(
            seance_id=seance.id, participant_id=v.participant_id, need_id=target.id, dots=0)
        into.dots += v.dots
        moved_votes[v.participant_id] = v.dots
        v.dots = 0
        db.add_all([into, v])
    moved_demand: list[dict] = []
    target_demand = {(d.collectivite_id, d.year): d
                     for d in db.exec(select(Demand).where(Demand.need_id == target.id))}
    for d in db.exec(select(Demand).where(Demand.need_id == source.id, Demand.agents > 0)):
        into = target_demand.get((d.collectivite_id, d.year)) or Demand(
            need_id=target.id, collectivite_id=d.collectivite_id, year=d.year, agents=0)
        into.agents += d.agents
        moved_demand.append({"collectivite_id": d.collectivite_id, "year": d.year,
                             "agents": d.agents})
        d.agents = 0
        db.add_all([into, d])
    source.merged_into_id = target.id
    db.add(source)
    events.record(db, "need.merged", events.facilitator_actor(facilitator_id),
                  seance_id=seance.id, target_id=target.id, source_id=source.id,
                  votes={str(k): v for k, v in moved_votes.items()}, demand=moved_demand)
    db.commit()
    return MergeResult(target, source, sorted(moved_votes),
                       sorted({d["collectivite_id"] for d in moved_demand}))


def edit(db: Session, seance: Seance, need_id: int, title: str, theme_id: int, details: str,
         facilitator_id: int) -> Need | Refusal:
    need = db.get(Need, need_id)
    if need is None or need.seance_id != seance.id or need.merged_into_id is not None:
        return rules.UNKNOWN_NEED
    theme = db.get(Theme, theme_id)
    title = " ".join(title.split())
    if theme is None or not theme.active:
        return rules.UNKNOWN_THEME
    if not title:
        return rules.EMPTY_TITLE
    before = {"title": need.title, "theme_id": need.theme_id, "details": need.details}
    need.title, need.theme_id, need.details = title[:TITLE_MAX], theme.id, details.strip()[:DETAILS_MAX]
    db.add(need)
    events.record(db, "need.edited", events.facilitator_actor(facilitator_id), seance_id=seance.id,
                  need_id=need.id, before=before,
                  after={"title": need.title, "theme_id": need.theme_id, "details": need.details})
    db.commit()
    return need


def set_hidden(db: Session, seance: Seance, need_id: int, hidden: bool,
               facilitator_id: int) -> Need | Refusal:
    need = db.get(Need, need_id)
    if need is None or need.seance_id != seance.id or need.merged_into_id is not None:
        return rules.UNKNOWN_NEED
    need.hidden = hidden
    db.add(need)
    events.record(db, "need.hidden" if hidden else "need.shown",
                  events.facilitator_actor(facilitator_id), seance_id=seance.id, need_id=need.id)
    db.commit()
    return need


# --- reads ----------------------------------------------------------------------


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

    @property
    def ranked(self) -> list[NeedView]:
        return sorted(self.needs, key=lambda v: v.rank)

    @property
    def participants(self) -> int:
        return sum(p.count for p in self.people)


def _vote_totals(db: Session, seance_id: int) -> tally.Totals:
    """The vote summed up by the database, on visible needs only (hidden ones release their dots).

    A participant belongs to one collectivité, so the voters of a need are the
    sum of its voters per collectivité: two GROUP BY queries, whatever the room.
    """
    open_votes = (Vote.seance_id == seance_id, Vote.dots > 0, Need.hidden.is_(False),
                  Need.merged_into_id.is_(None))

    def grouped(*columns):
        return select(*columns).select_from(Vote) \
            .join(Participant, Participant.id == Vote.participant_id) \
            .join(Need, Need.id == Vote.need_id).where(*open_votes)

    rows = db.exec(grouped(Participant.collectivite_id, Vote.need_id, func.sum(Vote.dots),
                           func.count(func.distinct(Vote.participant_id)))
                   .group_by(Participant.collectivite_id, Vote.need_id)).all()
    voters = db.exec(grouped(Participant.collectivite_id,
                             func.count(func.distinct(Vote.participant_id)))
                     .group_by(Participant.collectivite_id)).all()
    total = tally.Totals(collectivite_voters=dict(voters))
    for collectivite, need, dots, people in rows:
        total.by_collectivite[(collectivite, need)] = int(dots)
        total.dots[need] = total.dots.get(need, 0) + int(dots)
        total.voters[need] = total.voters.get(need, 0) + people
    return total


def snapshot(db: Session, seance: Seance) -> Board:
    """The whole board in a few aggregate queries, for the screen, the facilitator and the JSON."""
    rows = db.exec(select(Need, Theme).join(Theme).where(Need.seance_id == seance.id)
                   .order_by(Need.id)).all()
    demand_rows = db.exec(select(Demand.need_id, Demand.collectivite_id, Demand.year, Demand.agents)
                          .join(Need).where(Need.seance_id == seance.id, Demand.agents > 0)).all()
    total = _vote_totals(db, seance.id)
    people = [People(cid, name, n) for cid, name, n in db.exec(
        select(Collectivite.id, Collectivite.name, func.count(Participant.id))
        .join(Participant, Participant.collectivite_id == Collectivite.id)
        .where(Participant.seance_id == seance.id, Participant.is_proxy.is_(False))
        .group_by(Collectivite.id, Collectivite.name))]
    people.sort(key=lambda p: (-p.count, p.name))

    by_year: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    sharing: dict[int, set[int]] = defaultdict(set)
    declared: dict[int, dict[tuple[int, int], int]] = defaultdict(dict)
    for need_id, collectivite_id, year, agents in demand_rows:
        by_year[need_id][year] += agents
        sharing[need_id].add(collectivite_id)
        declared[need_id][(collectivite_id, year)] = agents
    years = tuple(horizon(seance))
    views = {need.id: NeedView(need, theme, dict(by_year[need.id]), len(sharing[need.id]),
                               need_status(NeedDemand(need.id, need.title, theme_rule(theme),
                                                      declared[need.id], 0, kind=need.kind,
                                                      pool_years=need.pool_years), years))
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
    if phases.PHASES.index(seance.phase) >= phases.PHASES.index("vote") and seance.tallies_visible:
        ordered.sort(key=lambda v: v.rank)
    return Board(
        seance=seance,
        needs=ordered,
        hidden=[views[n.id] for n, _ in rows if n.hidden and n.merged_into_id is None],
        merged=[(n, views[n.merged_into_id].need) for n, _ in rows if n.merged_into_id],
        people=people,
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
                max(seance.dot_budget - sum(allocation.values()), 0))


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
    return list(db.exec(select(Theme).where(Theme.active).order_by(Theme.domain, Theme.name)))
