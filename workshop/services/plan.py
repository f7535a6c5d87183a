"""The plan draft of a séance: the engine fed from the board, and the facilitator's adjustments."""

from dataclasses import dataclass, replace

from sqlalchemy import or_
from sqlmodel import Session, select

from workshop.domain.limits import (
    CAPACITY_MAX,
    COST_PER_DAY_MAX,
    HORIZON_YEARS_MAX,
    POOL_YEARS_MAX,
    YEAR_MAX,
    YEAR_MIN,
)
from workshop.domain.planning import (
    KINDS,
    Line,
    LineKey,
    NeedDemand,
    Plan,
    PlanInput,
    Pooling,
    ThemeRule,
    build_plan,
)
from workshop.domain.planning.engine import cut
from workshop.domain.rules import Refusal
from workshop.models import (
    Demand,
    Need,
    Perimetre,
    PlanAdjustment,
    PlanPooling,
    Seance,
    Theme,
    utcnow,
)
from workshop.services import board, events, perimetres
from workshop.services.changes import Change, publish

DEFAULT_CAPACITY = 40  # training days a year: about two sessions a month outside summer
LINE_GONE = Refusal("ligne_inconnue", "Cette ligne n'est plus dans le plan : rechargez-le.")
YEAR_OUTSIDE = Refusal("annee_hors_horizon", "Choisissez une année de l'horizon du plan.")


def years(seance: Seance) -> tuple[int, ...]:
    return tuple(board.horizon(seance))


def capacity(seance: Seance) -> dict[int, int]:
    stored = seance.plan_capacity or {}
    return {y: int(stored.get(str(y), DEFAULT_CAPACITY)) for y in years(seance)}




def rule(theme: Theme) -> ThemeRule:
    return board.theme_rule(theme)


def need_demand(view: board.NeedView, demand: dict[tuple[int, int], int],
                categories: tuple[str, ...] = ()) -> NeedDemand:
    """A board need as the engine and the per-year status read it (one conversion, one truth)."""
    need = view.need
    return NeedDemand(need.id, need.title, rule(view.theme), demand, view.rank, view.dots, view.score,
                      need.kind, need.pool_years, categories)


def adjustments(rows: list[PlanAdjustment]) -> dict:
    """The stored adjustments as the engine reads them; a key no line can have is left out."""
    pins, hosts, splits = {}, {}, set()
    for row in rows:
        key = LineKey.parse(row.line_key)
        if key is None:
            continue
        if row.pin_year is not None:
            pins[key] = row.pin_year
        if row.host_id is not None:
            hosts[key] = row.host_id
        if row.split:
            splits.add(key)
    return {"pins": pins, "hosts": hosts, "splits": frozenset(splits)}


def short_line(db: Session, seance: Seance, key: LineKey) -> tuple[Line | None, dict[int, str]]:
    """One line below threshold of a séance, cut from its need alone (no plan build), and the
    names of its perimeter's collectivités: (None, names) when the séance has no such line now.

    Read for the other side of a pooling (services/pooling.py): the same cut the plan makes.
    """
    names = {m.id: m.name for m in perimetres.members(db, seance.perimetre_id)}
    need = db.get(Need, key.need_id)
    if need is None or need.seance_id != seance.id or need.hidden or need.merged_into_id is not None:
        return None, names
    theme = db.get(Theme, need.theme_id)
    demand = {(c, y): n for c, y, n in db.exec(
        select(Demand.collectivite_id, Demand.year, Demand.agents)
        .where(Demand.need_id == need.id, Demand.agents > 0))}
    made = cut(NeedDemand(need.id, need.title, rule(theme), demand, 0, kind=need.kind,
                          pool_years=need.pool_years), years(seance), fates=False)
    return next((line for line in made.short if line.key == key), None), names


def accepted_poolings(db: Session, seance: Seance) -> dict[LineKey, Pooling]:
    """The poolings accepted with other perimeters' séances, from this séance's side, with the
    other line's trainees as they are now (the engine decides whether each still holds)."""
    rows = db.exec(select(PlanPooling).where(
        PlanPooling.status == "accepted",
        or_(PlanPooling.seance_id == seance.id, PlanPooling.other_seance_id == seance.id))
        .order_by(PlanPooling.id)).all()
    found: dict[LineKey, Pooling] = {}
    for row in rows:
        ours_first = row.seance_id == seance.id
        key = LineKey.parse(row.line_key if ours_first else row.other_line_key)
        their_key = LineKey.parse(row.other_line_key if ours_first else row.line_key)
        other = db.get(Seance, row.other_seance_id if ours_first else row.seance_id)
        if key is None or their_key is None or other is None or key in found:
            continue
        line, names = short_line(db, other, their_key)
        theirs = tuple(sorted((names.get(c, "?"), n) for c, n in line.trainees.items())) if line else ()
        found[key] = Pooling(row.id, key, db.get(Perimetre, other.perimetre_id).name, other.id,
                             other.title, their_key, theirs,
                             frozenset(c for c, n in line.trainees.items() if n > 0) if line else frozenset())
    return found


def plan_input(db: Session, seance: Seance, snapshot: board.Board | None = None) -> PlanInput:
    snapshot = snapshot or board.snapshot(db, seance)
    rows = db.exec(select(PlanAdjustment).where(PlanAdjustment.seance_id == seance.id)).all()
    perimetre = db.get(Perimetre, seance.perimetre_id)
    names = {m.id: m.name for m in perimetres.members(db, seance.perimetre_id)}
    return PlanInput(
        years=years(seance),
        needs=tuple(need_demand(v, dict(snapshot.demand.get(v.need.id, {})),
                                snapshot.categories.get(v.need.id, ()))
                    for v in snapshot.ranked),
        capacity=capacity(seance),
        coordinator_id=perimetre.coordinator_id,
        names=names,
        costs={code: float(c) for code, c in (seance.theme_costs or {}).items()},
        poolings=accepted_poolings(db, seance),
        **adjustments(rows),
    )


def build(db: Session, seance: Seance, snapshot: board.Board | None = None) -> tuple[Plan, dict]:
    """The plan and the collectivités' names (for hosts and trainees)."""
    built = draft(db, seance, snapshot)
    return built.plan, built.names


@dataclass(frozen=True)
class Draft:
    """The plan as built for one state of the séance, with what it was built from: built
    once per change and passed along (the facilitator's answer, the screens, the plan pages)."""

    board: board.Board
    data: PlanInput
    plan: Plan
    line: Line | None = None  # the line the change was about, as re-flowed

    @property
    def names(self) -> dict[int, str]:
        return self.data.names


def draft(db: Session, seance: Seance, snapshot: board.Board | None = None) -> Draft:
    snapshot = snapshot or board.snapshot(db, seance)
    data = plan_input(db, seance, snapshot)
    return Draft(snapshot, data, build_plan(data))


def on_screen(db: Session, seance: Seance, snapshot: board.Board) -> Draft | None:
    """The plan the projector shows instead of the needs: in the plan phase only (the one
    rule for its page, its reconnection and its live updates)."""
    return draft(db, seance, snapshot) if seance.phase == "plan" else None


def _adjustments(db: Session, seance: Seance) -> dict:
    return adjustments(db.exec(select(PlanAdjustment)
                               .where(PlanAdjustment.seance_id == seance.id)).all())


def _reflowed(db: Session, seance: Seance, kind: str, before: Draft | None = None) -> Draft:
    """After the commit: the plan again (from the same board and demand when only the
    facilitator's adjustments moved), told to the live layer, returned to the caller."""
    if before is None:
        after = draft(db, seance)
    else:
        data = replace(before.data, **_adjustments(db, seance))
        after = Draft(before.board, data, build_plan(data))
    publish(Change(kind, seance.id, built=after))
    return after


def _adjustment(db: Session, seance: Seance, key: LineKey) -> PlanAdjustment:
    row = db.exec(select(PlanAdjustment).where(PlanAdjustment.seance_id == seance.id,
                                               PlanAdjustment.line_key == str(key))).first()
    return row or PlanAdjustment(seance_id=seance.id, line_key=str(key))


def _published(after: Draft, kind: str, seance: Seance) -> Draft:
    publish(Change(kind, seance.id, built=after))
    return after


def pin(db: Session, seance: Seance, key: str | LineKey, year: int | None, actor_id: int,
        replaces: str | None = None) -> Draft | Refusal:
    """Pin a line to a year (None unpins it); the rest re-flows around it: the re-flowed draft.

    One plan build per click: the change is written, the plan built once with it
    and checked; a refusal rolls the change back. A pin that no longer applies
    (plan.stale_pins) can always be removed. `replaces`: the key a pin came from
    when it followed its need to this line (the line's `pin_from`): that pin now
    lives on the line's own key.
    """
    key = LineKey.parse(key)
    if key is None:
        return LINE_GONE
    if year is not None and year not in years(seance):
        return YEAR_OUTSIDE
    row = _adjustment(db, seance, key)
    existed = row.pin_year is not None
    row.pin_year, row.updated_at = year, utcnow()
    db.add(row)
    old = LineKey.parse(replaces) if replaces else None
    if old is not None and old != key:
        before = _adjustment(db, seance, old)
        if before.id is not None:
            before.pin_year, before.updated_at = None, utcnow()
            db.add(before)
    db.flush()
    after = draft(db, seance)
    refusal = _pin_refusal(after.plan, key, year, existed)
    if refusal is not None:
        db.rollback()
        return refusal
    kind = "plan.pinned" if year else "plan.unpinned"
    events.record(db, kind, events.facilitator_actor(actor_id), seance_id=seance.id, line=str(key),
                  year=year)
    db.commit()
    return _published(replace(after, line=after.plan.line(key)), kind, seance)


def _pin_refusal(plan: Plan, key: LineKey, year: int | None, existed: bool) -> Refusal | None:
    """What is wrong with the plan built with the pin, if anything."""
    line = plan.line(key)
    if year is None:
        return None if existed or (line is not None and line.territorialised) else LINE_GONE
    if line is None or not line.territorialised:
        return LINE_GONE
    if year < line.asked_year:
        return Refusal("avant_demande", "Cette action est demandée pour %(year)s : "
                                        "elle ne peut pas avoir lieu avant.", year=line.asked_year)
    others = sum(ln.days for ln in plan.in_year(year) if ln.pinned and ln.key != key)
    if others + line.days > plan.capacity[year]:
        return Refusal("capacite_depassee",
                       "%(year)s n'a que %(capacity)s jours de formation, dont %(pinned)s déjà "
                       "épinglés : augmentez la capacité ou choisissez une autre année.",
                       year=year, capacity=plan.capacity[year], pinned=others)
    return None


def set_host(db: Session, seance: Seance, key: str | LineKey, collectivite_id: int | None,
             actor_id: int) -> Draft | Refusal:
    """The collectivité that hosts a line (None: back to the rule). One plan build."""
    key = LineKey.parse(key)
    if key is None:
        return LINE_GONE
    if collectivite_id is not None and \
            collectivite_id not in perimetres.member_ids(db, seance.perimetre_id):
        return Refusal("collectivite_hors_perimetre",
                       "La collectivité d'accueil doit faire partie du périmètre.")
    row = _adjustment(db, seance, key)
    row.host_id, row.updated_at = collectivite_id, utcnow()
    db.add(row)
    db.flush()
    after = draft(db, seance)
    if after.plan.line(key) is None:
        db.rollback()
        return LINE_GONE
    events.record(db, "plan.host", events.facilitator_actor(actor_id), seance_id=seance.id,
                  line=str(key), collectivite_id=collectivite_id)
    db.commit()
    return _published(replace(after, line=after.plan.line(key)), "plan.host", seance)


def set_split(db: Session, seance: Seance, key: str | LineKey, split: bool,
              actor_id: int) -> Draft | Refusal:
    """Split a line into one line per group (each can then be pinned), or merge it back."""
    key = LineKey.parse(key)
    if key is None:
        return LINE_GONE
    before = draft(db, seance)
    plan = before.plan
    base = key.whole
    line = plan.line(key) or plan.line(base)
    if line is None or not line.territorialised:
        return LINE_GONE
    if split and len(line.groups) < 2:
        return Refusal("un_seul_groupe", "Cette action n'a qu'un groupe : rien à scinder.")
    row = _adjustment(db, seance, base)
    row.split, row.updated_at = split, utcnow()
    db.add(row)
    kind = "plan.split" if split else "plan.joined"
    events.record(db, kind, events.facilitator_actor(actor_id), seance_id=seance.id, line=str(base))
    db.commit()
    return _reflowed(db, seance, kind, before)


def set_capacity(db: Session, seance: Seance, days: dict[int, int], actor_id: int) -> Draft | Refusal:
    for year, value in days.items():
        if year not in years(seance):
            return YEAR_OUTSIDE
        if not 0 <= value <= CAPACITY_MAX:
            return Refusal("capacite_invalide", "La capacité d'une année va de 0 à %(max)s jours.",
                           max=CAPACITY_MAX)
    seance.plan_capacity = {**(seance.plan_capacity or {}), **{str(y): d for y, d in days.items()}}
    db.add(seance)
    events.record(db, "plan.capacity", events.facilitator_actor(actor_id), seance_id=seance.id,
                  capacity={str(y): d for y, d in days.items()})
    db.commit()
    return _reflowed(db, seance, "plan.capacity")


def set_horizon(db: Session, seance: Seance, start: int, count: int, actor_id: int) -> Draft | Refusal:
    if not YEAR_MIN <= start <= YEAR_MAX or not 1 <= count <= HORIZON_YEARS_MAX:
        return Refusal("horizon_invalide", "L'horizon va de 1 à 10 années, à partir de 2000.")
    seance.horizon_start, seance.horizon_years = start, count
    db.add(seance)
    events.record(db, "plan.horizon", events.facilitator_actor(actor_id), seance_id=seance.id,
                  start=start, years=count)
    db.commit()
    return _reflowed(db, seance, "plan.horizon")


def set_theme_cost(db: Session, seance: Seance, code: str, euros: float | None,
                   actor_id: int) -> Draft | Refusal:
    """The séance's cost per trainee and day for a payant theme (None: the catalogue's)."""
    theme = db.exec(select(Theme).where(Theme.code == code)).first()
    if theme is None or theme.financing != "payant":
        return Refusal("theme_non_payant", "Seuls les thèmes payants ont un coût à estimer.")
    if euros is not None and not 0 <= euros <= COST_PER_DAY_MAX:
        return Refusal("cout_invalide", "Le coût par stagiaire et par jour va de 0 à %(max)s €.",
                       max=COST_PER_DAY_MAX)
    costs = {k: v for k, v in (seance.theme_costs or {}).items() if k != code}
    if euros is not None:
        costs[code] = euros
    seance.theme_costs = costs
    db.add(seance)
    events.record(db, "plan.cost", events.facilitator_actor(actor_id), seance_id=seance.id,
                  theme=code, cost=euros)
    db.commit()
    return _reflowed(db, seance, "plan.cost")


def set_need_plan(db: Session, seance: Seance, need_id: int, kind: str | None,
                  pool_years: int | None, actor_id: int) -> Draft | Refusal:
    """A need's kind of training (None: the theme's) and how long its demand may wait."""
    need = db.get(Need, need_id)
    if need is None or need.seance_id != seance.id:
        return Refusal("besoin_inconnu", "Ce besoin n'existe pas dans cette séance.")
    if kind is not None and kind not in KINDS:
        return Refusal("type_inconnu", "Choisissez un type de formation de la liste.")
    if pool_years is not None and not 0 <= pool_years <= POOL_YEARS_MAX:
        return Refusal("attente_invalide", "Le regroupement va de 0 à %(max)s ans.",
                       max=POOL_YEARS_MAX)
    need.kind, need.pool_years = kind, pool_years
    db.add(need)
    events.record(db, "plan.need", events.facilitator_actor(actor_id), seance_id=seance.id,
                  need_id=need.id, training_kind=kind, pool_years=pool_years)
    db.commit()
    return _reflowed(db, seance, "plan.need")
