"""Pooling across perimeters (issue 17, item 9): for each line of a séance's plan below its
threshold, the other séances its facilitator runs (own and shared) that have a line of the
same theme and year below threshold too, when both together reach the threshold.

Proposals only: accepting one (both plans showing the shared line) is not built yet.
Each other séance's plan is built once per call; the plan page asks for the proposals
apart (htmx on load), so a pin click still builds one plan.
"""

from dataclasses import dataclass

from sqlmodel import Session

from workshop.domain.planning import Line
from workshop.models import Collectivite, Perimetre, Seance
from workshop.services import plan as plan_service
from workshop.services import seances as seances_service

MAX_SEANCES = 20  # the most recent séances looked at


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

    @property
    def total(self) -> int:
        return self.ours + self.theirs


def _departement(db: Session, perimetre: Perimetre) -> str | None:
    coordinator = db.get(Collectivite, perimetre.coordinator_id) if perimetre.coordinator_id else None
    return coordinator.departement if coordinator else None


def _shorts(plan) -> dict[tuple[str, int], Line]:
    return {(ln.theme.code, ln.asked_year): ln for ln in plan.below if ln.key.part == ""}


def offers(db: Session, seance: Seance, facilitator_id: int) -> dict[str, list[Offer]]:
    """Our line key -> pooling offers that reach the threshold, nearest perimeters first."""
    plan, names = plan_service.build(db, seance)
    ours = _shorts(plan)
    if not ours:
        return {}
    here = _departement(db, db.get(Perimetre, seance.perimetre_id))
    found: dict[str, list[Offer]] = {}
    others = [row for row in seances_service.owned(db, facilitator_id)
              if row.seance.id != seance.id and row.seance.perimetre_id != seance.perimetre_id]
    for row in others[:MAX_SEANCES]:
        their_plan, their_names = plan_service.build(db, row.seance)
        departement = _departement(db, row.perimetre)
        for key, theirs in _shorts(their_plan).items():
            line = ours.get(key)
            if line is None or line.total + theirs.total < line.theme.threshold:
                continue
            counts = {names.get(c, "?"): n for c, n in line.trainees.items()}
            for c, n in theirs.trainees.items():
                name = their_names.get(c, "?")
                counts[name] = counts.get(name, 0) + n
            host = max(sorted(counts), key=lambda name: counts[name])
            found.setdefault(str(line.key), []).append(Offer(
                str(line.key), line.title, row.seance, row.perimetre.name, line.total, theirs.total,
                line.asked_year, line.theme.threshold, host,
                here is not None and departement == here))
    for offers_ in found.values():
        offers_.sort(key=lambda o: (not o.same_departement, -o.total, o.perimetre))
    return found
