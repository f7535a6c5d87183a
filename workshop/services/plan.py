"""The plan draft of a séance: the engine fed from the board, and the facilitator's adjustments."""

from dataclasses import dataclass, replace

from sqlmodel import Session, select

from workshop.domain.limits import CAPACITY_MAX, HORIZON_YEARS_MAX, YEAR_MAX, YEAR_MIN
from workshop.domain.planning import Line, NeedDemand, Plan, PlanInput, ThemeRule, build_plan
from workshop.domain.rules import Refusal
from workshop.models import Perimetre, PlanAdjustment, Seance, Theme, utcnow
from workshop.services import board, events, perimetres
from workshop.services.changes import Change, publish

DEFAULT_CAPACITY = 40  # training days a year: about two sessions a month outside summer
MAX_CAPACITY = CAPACITY_MAX
LINE_GONE = Refusal("ligne_inconnue", "Cette ligne n'est plus dans le plan : rechargez-le.")
YEAR_OUTSIDE = Refusal("annee_hors_horizon", "Choisissez une année de l'horizon du plan.")


def years(seance: Seance) -> tuple[int, ...]:
    return tuple(board.horizon(seance))


def capacity(seance: Seance) -> dict[int, int]:
    stored = seance.plan_capacity or {}
    return {y: int(stored.get(str(y), DEFAULT_CAPACITY)) for y in years(seance)}


def rule(theme: Theme) -> ThemeRule:
    return ThemeRule(theme.code, theme.name, theme.threshold, theme.max_group, theme.days,
                     theme.financing, theme.financing_reason, theme.recurrence_years, theme.poolable)


def plan_input(db: Session, seance: Seance, snapshot: board.Board | None = None) -> PlanInput:
    snapshot = snapshot or board.snapshot(db, seance)
    ranked = snapshot.ranked
    perimetre = db.get(Perimetre, seance.perimetre_id)
    names = {m.id: m.name for m in perimetres.members(db, seance.perimetre_id)}
    return PlanInput(
        years=years(seance),
        needs=tuple(NeedDemand(v.need.id, v.need.title, rule(v.theme),
                               dict(snapshot.demand.get(v.need.id, {})), v.rank,
                               v.dots, v.score) for v in ranked),
        capacity=capacity(seance),
        coordinator_id=perimetre.coordinator_id,
        names=names,
        **_adjustments(db, seance),
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
    rows = db.exec(select(PlanAdjustment).where(PlanAdjustment.seance_id == seance.id)).all()
    return {"pins": {a.line_key: a.pin_year for a in rows if a.pin_year is not None},
            "hosts": {a.line_key: a.host_id for a in rows if a.host_id is not None},
            "splits": frozenset(a.line_key for a in rows if a.split)}


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


def _line(plan: Plan, key: str) -> Line | None:
    return next((line for line in plan.all_lines if line.key == key), None)


def _adjustment(db: Session, seance: Seance, key: str) -> PlanAdjustment:
    row = db.exec(select(PlanAdjustment).where(PlanAdjustment.seance_id == seance.id,
                                               PlanAdjustment.line_key == key)).first()
    return row or PlanAdjustment(seance_id=seance.id, line_key=key)


def pin(db: Session, seance: Seance, key: str, year: int | None, actor_id: int) -> Draft | Refusal:
    """Pin a line to a year (None unpins it); the rest re-flows around it: the re-flowed draft."""
    before = draft(db, seance)
    plan = before.plan
    line = _line(plan, key)
    if line is None or not line.territorialised:
        return LINE_GONE
    if year is not None:
        if year not in plan.years:
            return YEAR_OUTSIDE
        if year < line.asked_year:
            return Refusal("avant_demande", "Cette action est demandée pour %(year)s : "
                                            "elle ne peut pas avoir lieu avant.", year=line.asked_year)
        others = sum(ln.days for ln in plan.in_year(year) if ln.pinned and ln.key != key)
        if others + line.days > plan.capacity[year]:
            return Refusal("capacite_depassee",
                           "%(year)s n'a que %(capacity)s jours de formation, dont %(pinned)s déjà "
                           "épinglés : augmentez la capacité ou choisissez une autre année.",
                           year=year, capacity=plan.capacity[year], pinned=others)
    row = _adjustment(db, seance, key)
    row.pin_year, row.updated_at = year, utcnow()
    db.add(row)
    kind = "plan.pinned" if year else "plan.unpinned"
    events.record(db, kind, events.facilitator_actor(actor_id), seance_id=seance.id, line=key,
                  year=year)
    db.commit()
    return _reflowed(db, seance, kind, before)


def set_host(db: Session, seance: Seance, key: str, collectivite_id: int | None,
             actor_id: int) -> Draft | Refusal:
    before = draft(db, seance)
    plan = before.plan
    line = _line(plan, key)
    if line is None:
        return LINE_GONE
    if collectivite_id is not None and \
            collectivite_id not in perimetres.member_ids(db, seance.perimetre_id):
        return Refusal("collectivite_hors_perimetre",
                       "La collectivité d'accueil doit faire partie du périmètre.")
    row = _adjustment(db, seance, key)
    row.host_id, row.updated_at = collectivite_id, utcnow()
    db.add(row)
    events.record(db, "plan.host", events.facilitator_actor(actor_id), seance_id=seance.id,
                  line=key, collectivite_id=collectivite_id)
    db.commit()
    return _reflowed(db, seance, "plan.host", before)


def set_split(db: Session, seance: Seance, key: str, split: bool, actor_id: int) -> Draft | Refusal:
    """Split a line into one line per group (each can then be pinned), or merge it back."""
    before = draft(db, seance)
    plan = before.plan
    base = key.split(":g")[0]
    line = _line(plan, key) or _line(plan, base)
    if line is None or not line.territorialised:
        return LINE_GONE
    if split and len(line.groups) < 2:
        return Refusal("un_seul_groupe", "Cette action n'a qu'un groupe : rien à scinder.")
    row = _adjustment(db, seance, base)
    row.split, row.updated_at = split, utcnow()
    db.add(row)
    kind = "plan.split" if split else "plan.joined"
    events.record(db, kind, events.facilitator_actor(actor_id), seance_id=seance.id, line=base)
    db.commit()
    return _reflowed(db, seance, kind, before)


def set_capacity(db: Session, seance: Seance, days: dict[int, int], actor_id: int) -> Draft | Refusal:
    for year, value in days.items():
        if year not in years(seance):
            return YEAR_OUTSIDE
        if not 0 <= value <= MAX_CAPACITY:
            return Refusal("capacite_invalide", "La capacité d'une année va de 0 à %(max)s jours.",
                           max=MAX_CAPACITY)
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
