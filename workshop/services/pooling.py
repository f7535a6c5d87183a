"""Pooling across perimeters (issue 17, item 9): for each line of a séance's plan below its
threshold, the other séances its facilitator runs (own and shared) that have a line of the
same theme and year below threshold too, when both together reach the threshold.

The facilitator accepts a proposal (`accept`): a `PlanPooling` row and a `plan.pooled`
event in both séances; both plans then show the shared line (the engine reads the accepted
poolings as input: `plan.accepted_poolings`). Withdrawing (`withdraw`) keeps the row with
the status "withdrawn" and records `plan.unpooled`. An acceptance is refused when the other
séance's figures no longer reach the threshold; one accepted before that no longer holds is
shown in the plan (`Plan.lapsed_poolings`).

Each other séance's plan is built once per `offers` call; the plan page asks for the
proposals apart (htmx on load), so a pin click still builds one plan.
"""

from dataclasses import dataclass, field, replace

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from workshop.domain.limits import POOLING_SEANCES_MAX
from workshop.domain.messages import Text
from workshop.domain.planning import Line, LineKey
from workshop.domain.planning import pooling as rule
from workshop.domain.rules import Refusal
from workshop.models import Collectivite, Perimetre, PlanPooling, Seance, utcnow
from workshop.services import events
from workshop.services import plan as plan_service
from workshop.services import seances as seances_service
from workshop.services.changes import Change, publish


@dataclass(frozen=True)
class Offer:
    line_key: str  # our line below threshold
    title: str
    seance: Seance  # the other séance
    perimetre: str
    ours: int
    theirs: int
    year: int
    threshold: int
    host: str  # the collectivité with the most trainees on both lines
    same_departement: bool
    their_key: str = ""  # their line below threshold

    @property
    def total(self) -> int:
        return self.ours + self.theirs


def _departement(db: Session, perimetre: Perimetre) -> str | None:
    coordinator = db.get(Collectivite, perimetre.coordinator_id) if perimetre.coordinator_id else None
    return coordinator.departement if coordinator else None


def _shorts(plan) -> dict[tuple[str, int], Line]:
    return {(ln.theme.code, ln.asked_year): ln for ln in plan.below if ln.key.part == ""}


def _host(counts: dict[str, int]) -> str:
    """The engine's rule (most trainees, then the name), so the offer names the same host."""
    return min(counts, key=lambda name: (-counts[name], name))


@dataclass(frozen=True)
class SetAside:
    """A line of another séance that would reach the threshold with ours but shares
    collectivités with it (`pooling.SHARED`): not proposed, and the page says why."""

    title: str
    seance: Seance
    perimetre: str
    why: Text


@dataclass
class Survey:
    offers: dict[str, list[Offer]] = field(default_factory=dict)  # our line key -> offers
    set_aside: list[SetAside] = field(default_factory=list)


def offers(db: Session, seance: Seance, facilitator_id: int) -> dict[str, list[Offer]]:
    """Our line key -> pooling offers that reach the threshold and fit one group, nearest
    perimeters first (same department, then the largest total); only with lines whose
    collectivités are all other than ours (`domain.planning.pooling.check`)."""
    return survey(db, seance, facilitator_id).offers


def survey(db: Session, seance: Seance, facilitator_id: int) -> Survey:
    """The offers, and the lines set aside because a collectivité has agents on both lines
    (its agents would be counted twice: a séance imported again as a copy, two perimeters
    sharing communes)."""
    plan, names = plan_service.build(db, seance)
    ours = _shorts(plan)
    result = Survey()
    if not ours:
        return result
    found = result.offers
    here = _departement(db, db.get(Perimetre, seance.perimetre_id))
    others = [row for row in seances_service.owned(db, facilitator_id)
              if row.seance.id != seance.id and row.seance.perimetre_id != seance.perimetre_id]
    for row in others[:POOLING_SEANCES_MAX]:
        their_plan, their_names = plan_service.build(db, row.seance)
        departement = _departement(db, row.perimetre)
        for key, theirs in _shorts(their_plan).items():
            line = ours.get(key)
            if line is None:
                continue
            verdict = rule.check(line, theirs.trainees, theirs.total, names)
            if verdict.code == rule.SHARED and line.total + theirs.total >= line.theme.threshold:
                result.set_aside.append(SetAside(line.title, row.seance, row.perimetre.name, verdict.why))
            if not verdict.ok:
                continue
            counts = {names.get(c, "?"): n for c, n in line.trainees.items()}
            for c, n in theirs.trainees.items():
                name = their_names.get(c, "?")
                counts[name] = counts.get(name, 0) + n
            found.setdefault(str(line.key), []).append(Offer(
                str(line.key), line.title, row.seance, row.perimetre.name, line.total, theirs.total,
                line.asked_year, line.theme.threshold, _host(counts),
                here is not None and departement == here, str(theirs.key)))
    for offers_ in found.values():
        offers_.sort(key=lambda o: (not o.same_departement, -o.total, o.perimetre))
    return result


GONE = Refusal("ligne_inconnue", "Cette ligne n'est plus sous le seuil dans ce plan : rechargez-le.")
OTHER_GONE = Refusal("seance_inconnue", "Choisissez une de vos séances d'un autre périmètre.")
TAKEN = Refusal("deja_mutualisee", "Cette ligne est déjà mutualisée : retirez d'abord cette "
                                   "mutualisation.")
UNKNOWN = Refusal("mutualisation_inconnue", "Cette mutualisation n'existe plus : rechargez le plan.")


def _involving(db: Session, seance_id: int, key: LineKey):
    """The accepted pooling a séance's line is in, if any (from either side)."""
    return db.exec(select(PlanPooling).where(PlanPooling.status == "accepted", or_(
        and_(PlanPooling.seance_id == seance_id, PlanPooling.line_key == str(key)),
        and_(PlanPooling.other_seance_id == seance_id, PlanPooling.other_line_key == str(key))))).first()


def accept(db: Session, seance: Seance, key: str | LineKey, other_seance_id: int,
           other_key: str | LineKey, facilitator_id: int) -> plan_service.Draft | Refusal:
    """Pool our line below threshold with the other séance's line of the same theme and year:
    the re-flowed draft of this séance (the other séance's is published too).

    Refused (nothing stored) when the facilitator does not run the other séance, when either
    line is not below threshold any more or is already pooled, when a collectivité has agents
    on both lines (`memes_collectivites`: they would be counted twice), or when the figures
    now give less than the threshold or more than one group (`mutualisation_caduque`); the
    rule is `domain.planning.pooling.check`.
    """
    key, other_key = LineKey.parse(key), LineKey.parse(other_key)
    other = seances_service.get_owned(db, other_seance_id, facilitator_id)
    if other is None or other.id == seance.id or other.perimetre_id == seance.perimetre_id:
        return OTHER_GONE
    if key is None or other_key is None or key.part or other_key.part:
        return GONE
    before = plan_service.draft(db, seance)
    line = next((ln for ln in before.plan.below if ln.key == key), None)
    if line is None:
        return GONE
    if _involving(db, seance.id, key) or _involving(db, other.id, other_key):
        return TAKEN
    theirs, _ = plan_service.short_line(db, other, other_key)
    if theirs is None or theirs.theme.code != line.theme.code or theirs.asked_year != line.asked_year:
        return Refusal("mutualisation_caduque", "%(seance)s n'a plus de ligne sous le seuil pour ce "
                                                "thème en %(year)s : la mutualisation n'est plus "
                                                "possible.", seance=other.title, year=line.asked_year)
    verdict = rule.check(line, theirs.trainees, theirs.total, before.names)
    total, threshold = verdict.total, line.theme.threshold
    if verdict.code == rule.SHARED:
        return Refusal("memes_collectivites", "Mutualisation impossible avec %(seance)s : %(why)s. "
                                              "On ne mutualise qu'avec une séance dont les collectivités "
                                              "de la ligne sont toutes différentes des vôtres.",
                       seance=other.title, why=verdict.why)
    if verdict.code == rule.UNDER:
        return Refusal("mutualisation_caduque", "Les chiffres ont changé : %(ours)s + %(theirs)s = "
                                                "%(total)s stagiaires, sous le seuil de %(threshold)s. "
                                                "La mutualisation n'est plus possible.",
                       ours=line.total, theirs=theirs.total, total=total, threshold=threshold)
    if verdict.code == rule.OVER:
        return Refusal("mutualisation_caduque", "Les chiffres ont changé : %(total)s stagiaires "
                                                "dépassent le groupe maximal de %(max)s.",
                       total=total, max=line.theme.max_group)
    row = PlanPooling(seance_id=seance.id, line_key=str(key), other_seance_id=other.id,
                      other_line_key=str(other_key), accepted_by_id=facilitator_id)
    db.add(row)
    db.flush()
    actor = events.facilitator_actor(facilitator_id)
    events.record(db, "plan.pooled", actor, seance_id=seance.id, pooling_id=row.id, line=str(key),
                  other_seance_id=other.id, other_line=str(other_key))
    events.record(db, "plan.pooled", actor, seance_id=other.id, pooling_id=row.id,
                  line=str(other_key), other_seance_id=seance.id, other_line=str(key))
    db.commit()
    return _both(db, seance, other, "plan.pooled", key)


def withdraw(db: Session, seance: Seance, pooling_id: int,
             facilitator_id: int) -> plan_service.Draft | Refusal:
    """Withdraw an accepted pooling from either séance's side: the row stays, "withdrawn",
    with a `plan.unpooled` event in both séances; both plans re-flow."""
    row = db.get(PlanPooling, pooling_id)
    if row is None or row.status != "accepted" or seance.id not in (row.seance_id, row.other_seance_id):
        return UNKNOWN
    row.status, row.withdrawn_by_id, row.withdrawn_at = "withdrawn", facilitator_id, utcnow()
    db.add(row)
    actor = events.facilitator_actor(facilitator_id)
    for seance_id, line in ((row.seance_id, row.line_key), (row.other_seance_id, row.other_line_key)):
        events.record(db, "plan.unpooled", actor, seance_id=seance_id, pooling_id=row.id, line=line)
    db.commit()
    other = db.get(Seance, row.other_seance_id if row.seance_id == seance.id else row.seance_id)
    ours = row.line_key if row.seance_id == seance.id else row.other_line_key
    return _both(db, seance, other, "plan.unpooled", LineKey.parse(ours))


def _both(db: Session, seance: Seance, other: Seance, kind: str, key: LineKey) -> plan_service.Draft:
    """After the commit: both séances' plans re-flowed and told to the live layer."""
    theirs = plan_service.draft(db, other)
    publish(Change(kind, other.id, built=theirs))
    after = plan_service.draft(db, seance)
    after = replace(after, line=after.plan.line(key))
    publish(Change(kind, seance.id, built=after))
    return after
