"""Everything the exports say about a séance, gathered once (no formatting here)."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from workshop.domain.planning import Plan
from workshop.models import Collectivite, Participant, Perimetre, Seance, Vote, utcnow
from workshop.services import board, perimetres
from workshop.services import plan as plan_service


@dataclass
class Participation:
    collectivite_id: int
    name: str
    kind: str
    roles: Counter  # role -> participants (proxies apart)
    proxies: int = 0

    @property
    def total(self) -> int:
        return sum(self.roles.values())


@dataclass
class Summary:
    seance: Seance
    perimetre: Perimetre
    coordinator: Collectivite | None
    members: list[Collectivite]
    board: board.Board
    plan: Plan
    names: dict[int, str]
    participation: list[Participation]
    demand: dict[int, dict[int, dict[int, int]]]  # need -> collectivité -> year -> agents
    ballots: list[tuple[int, str, str, str, int]]  # (participant n°, collectivité, role, need, dots)
    categories: dict[int, tuple[str, ...]] = field(default_factory=dict)  # need -> A, B, C declared
    generated_at: datetime = field(default_factory=utcnow)

    @property
    def years(self) -> tuple[int, ...]:
        return self.plan.years

    @property
    def roles(self) -> Counter:
        total: Counter = Counter()
        for p in self.participation:
            total.update(p.roles)
        return total

    def for_collectivite(self, collectivite_id: int) -> "CollectiviteExtract":
        needs = [v for v in self.board.ranked if collectivite_id in self.demand.get(v.need.id, {})]
        lines = [ln for ln in self.plan.all_lines if collectivite_id in ln.trainees]
        lines.sort(key=lambda ln: (ln.shown_year, ln.priority))
        return CollectiviteExtract(self, collectivite_id, self.names.get(collectivite_id, "?"),
                                   needs, lines)


@dataclass
class CollectiviteExtract:
    summary: Summary
    collectivite_id: int
    name: str
    needs: list[board.NeedView]
    lines: list

    def agents(self, need_id: int) -> dict[int, int]:
        return self.summary.demand.get(need_id, {}).get(self.collectivite_id, {})

    def costs(self) -> dict[int, int]:
        """This collectivité's estimated cost of the placed payant lines, per year (euros)."""
        per = {y: 0 for y in self.summary.years}
        for line in self.summary.plan.lines:
            per[line.year] += line.cost_of(line.trainees.get(self.collectivite_id, 0))
        return per


def gather(db: Session, seance: Seance) -> Summary:
    snapshot = board.snapshot(db, seance)
    plan, names = plan_service.build(db, seance, snapshot)
    perimetre = db.get(Perimetre, seance.perimetre_id)
    members = perimetres.members(db, perimetre.id)
    participation: dict[int, Participation] = {}
    rows = db.exec(select(Participant, Collectivite).join(Collectivite)
                   .where(Participant.seance_id == seance.id)).all()
    for person, collectivite in rows:
        entry = participation.setdefault(collectivite.id, Participation(
            collectivite.id, collectivite.name, collectivite.kind, Counter()))
        if person.is_proxy:
            entry.proxies += 1
        else:
            entry.roles[person.role] += 1
        names.setdefault(collectivite.id, collectivite.name)
    demand: dict[int, dict[int, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for need_id, figures in snapshot.demand.items():  # the board's one read of the demand
        for (collectivite_id, year), agents in figures.items():
            demand[need_id][collectivite_id][year] = agents
    number = {person.id: i for i, (person, _) in enumerate(sorted(rows, key=lambda r: r[0].id), 1)}
    titles = {v.need.id: v.need.title for v in snapshot.needs}
    ballots = [(number[pid], names.get(cid, "?"), role, titles[nid], dots)
               for pid, cid, role, nid, dots in db.exec(
                   select(Vote.participant_id, Participant.collectivite_id, Participant.role,
                          Vote.need_id, Vote.dots).join(Participant)
                   .where(Vote.seance_id == seance.id, Vote.dots > 0)
                   .order_by(Vote.participant_id, Vote.need_id))
               if nid in titles]
    return Summary(
        seance=seance, perimetre=perimetre, ballots=ballots,
        coordinator=db.get(Collectivite, perimetre.coordinator_id) if perimetre.coordinator_id else None,
        members=members, board=snapshot, plan=plan, names=names,
        participation=sorted(participation.values(), key=lambda p: (-p.total - p.proxies, p.name)),
        demand={n: dict(by) for n, by in demand.items()},
        categories=dict(snapshot.categories),
    )
